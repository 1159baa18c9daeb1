import { geoConicEqualArea, geoPath } from 'd3-geo';
import { feature, merge, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import outlinesUrl from './counties.topo.json?url';

/**
 * County outlines for the map: web/src/dashboard/counties.topo.json, generated once by
 * `npm run county-map` (scripts/county-map/) and served as a hashed asset (≈ 0.9 MB, 0.27 MB
 * gzipped), fetched once. Projected here, once, to SVG path strings in a fixed frame; zooming
 * changes the SVG's viewBox, never the paths.
 */

/** The frame the paths are drawn in (the SVG's full viewBox). */
export const FRAME = { width: 1000, height: 780 } as const;

type Box = [[number, number], [number, number]];
type Objects = { counties: GeometryCollection; context: GeometryCollection<{ name: string }> };

export interface CountyOutlines {
  /** SVG path per county code. */
  paths: ReadonlyMap<string, string>;
  /** Bounding box per county code, in the frame. */
  boxes: ReadonlyMap<string, Box>;
  /** Hong Kong, Macao and Taiwan: drawn grey, outside the data. */
  context: readonly { code: string; name: string; d: string }[];
  /** Borders between units for which `differ(a, b)` holds (codes), with the outer border when `outer`. */
  borders(differ: (a: string, b: string) => boolean, outer: boolean): string;
  /** Centre of the union of these counties (by area), in the frame; null if none has an outline. */
  centreOf(codes: readonly string[]): [number, number] | null;
}

let loading: Promise<CountyOutlines> | null = null;

/** The outlines, fetched and projected once per page. */
export function loadCountyOutlines(): Promise<CountyOutlines> {
  loading ??= fetch(outlinesUrl)
    .then((res) => {
      if (!res.ok) throw new Error(`county outlines: HTTP ${res.status}`);
      return res.json() as Promise<Topology<Objects>>;
    })
    .then(project)
    .catch((err: unknown) => {
      loading = null; // a later render may try again
      throw err;
    });
  return loading;
}

function project(topology: Topology<Objects>): CountyOutlines {
  const counties = feature(topology, topology.objects.counties);
  const context = feature(topology, topology.objects.context);
  // Equal-area (choropleths compare areas), with the standard parallels used for maps of China.
  const projection = geoConicEqualArea()
    .parallels([25, 47])
    .rotate([-105, 0])
    .fitExtent([[8, 8], [FRAME.width - 8, FRAME.height - 8]], { type: 'FeatureCollection', features: [...counties.features, ...context.features] });
  const path = geoPath(projection).digits(1);
  const paths = new Map<string, string>();
  const boxes = new Map<string, Box>();
  for (const f of counties.features) {
    const code = String(f.id);
    paths.set(code, path(f) ?? '');
    boxes.set(code, path.bounds(f));
  }
  const geometries = new Map(topology.objects.counties.geometries.map((g) => [String(g.id), g]));
  return {
    paths,
    boxes,
    context: context.features.map((f) => ({ code: String(f.id), name: f.properties.name, d: path(f) ?? '' })),
    borders: (differ, outer) =>
      path(mesh(topology, topology.objects.counties, (a, b) => (a === b ? outer : differ(String(a.id), String(b.id))))) ?? '',
    centreOf: (codes) => {
      const parts = codes.flatMap((c) => geometries.get(c) ?? []);
      if (parts.length === 0) return null;
      const [x, y] = path.centroid(merge(topology, parts as never));
      return Number.isFinite(x) ? [x, y] : null;
    },
  };
}

/** The smallest box holding these counties' boxes, padded; null if none has an outline. */
export function boxOf(outlines: CountyOutlines, codes: Iterable<string>, pad = 0.06): Box | null {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const code of codes) {
    const b = outlines.boxes.get(code);
    if (!b) continue;
    x0 = Math.min(x0, b[0][0]);
    y0 = Math.min(y0, b[0][1]);
    x1 = Math.max(x1, b[1][0]);
    y1 = Math.max(y1, b[1][1]);
  }
  if (!Number.isFinite(x0)) return null;
  const px = Math.max((x1 - x0) * pad, 4);
  const py = Math.max((y1 - y0) * pad, 4);
  return [[x0 - px, y0 - py], [x1 + px, y1 + py]];
}
