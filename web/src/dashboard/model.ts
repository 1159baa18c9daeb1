import type { DashboardCountiesQuery, RiskLevel } from '../gql/graphql';
import { LEVEL_RANK } from '../levels';

export type County = DashboardCountiesQuery['counties']['nodes'][number];

/** Where the user has drilled to: nothing (national), a province, or a province and one of its cities. */
export interface Scope {
  province: { code: string; name: string } | null;
  city: { code: string; name: string } | null;
}

export interface LevelCounts {
  LOW: number;
  MEDIUM: number;
  HIGH: number;
}

export interface Area {
  code: string;
  name: string;
  counts: LevelCounts;
  /** The highest county level in the area (as the API rates provinces and cities). */
  level: RiskLevel;
  newConfirmed: number;
  population: number;
}

export function countLevels(counties: readonly County[]): LevelCounts {
  const counts: LevelCounts = { LOW: 0, MEDIUM: 0, HIGH: 0 };
  for (const c of counties) counts[c.risk.level]++;
  return counts;
}

/** Groups counties by province or by city, with counts by level and summed figures, in code order. */
export function areasOf(counties: readonly County[], by: 'province' | 'parent'): Area[] {
  const areas = new Map<string, Area>();
  for (const c of counties) {
    const key = by === 'province' ? c.province : c.parent;
    if (!key) continue;
    let area = areas.get(key.code);
    if (!area) {
      area = { code: key.code, name: key.name, counts: { LOW: 0, MEDIUM: 0, HIGH: 0 }, level: 'LOW', newConfirmed: 0, population: 0 };
      areas.set(key.code, area);
    }
    area.counts[c.risk.level]++;
    if (LEVEL_RANK[c.risk.level] > LEVEL_RANK[area.level]) area.level = c.risk.level;
    area.newConfirmed += c.caseSummary.newConfirmed;
    area.population += c.population;
  }
  return [...areas.values()].sort((a, b) => a.code.localeCompare(b.code));
}

export function inScope(counties: readonly County[], scope: Scope): County[] {
  if (scope.city) return counties.filter((c) => c.parent?.code === scope.city!.code);
  if (scope.province) return counties.filter((c) => c.province.code === scope.province!.code);
  return [...counties];
}

export function per100k(count: number, population: number): number {
  return population > 0 ? (count / population) * 100_000 : 0;
}
