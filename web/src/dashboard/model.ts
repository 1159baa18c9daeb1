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
  /** Share of the population living in counties rated MEDIUM or HIGH, 0–1. */
  atRiskShare: number;
}

export function countLevels(counties: readonly County[]): LevelCounts {
  const counts: LevelCounts = { LOW: 0, MEDIUM: 0, HIGH: 0 };
  for (const c of counties) counts[c.risk.level]++;
  return counts;
}

/** Groups counties by province or by city, with counts by level and summed figures, in code order. */
export function areasOf(counties: readonly County[], by: 'province' | 'parent'): Area[] {
  const groups = new Map<string, { key: { code: string; name: string }; members: County[] }>();
  for (const c of counties) {
    const key = by === 'province' ? c.province : c.parent;
    if (!key) continue;
    const group = groups.get(key.code) ?? { key, members: [] };
    group.members.push(c);
    groups.set(key.code, group);
  }
  return [...groups.values()]
    .map(({ key, members }): Area => ({
      code: key.code,
      name: key.name,
      counts: countLevels(members),
      level: members.reduce<RiskLevel>((top, c) => (LEVEL_RANK[c.risk.level] > LEVEL_RANK[top] ? c.risk.level : top), 'LOW'),
      newConfirmed: members.reduce((n, c) => n + c.caseSummary.newConfirmed, 0),
      population: members.reduce((n, c) => n + c.population, 0),
      atRiskShare: atRiskShare(members),
    }))
    .sort((a, b) => a.code.localeCompare(b.code));
}

/** Share of the population of these counties that lives in one rated MEDIUM or HIGH, 0–1. */
export function atRiskShare(counties: readonly County[]): number {
  let total = 0;
  let atRisk = 0;
  for (const c of counties) {
    total += c.population;
    if (c.risk.level !== 'LOW') atRisk += c.population;
  }
  return total > 0 ? atRisk / total : 0;
}

export function inScope(counties: readonly County[], scope: Scope): County[] {
  if (scope.city) return counties.filter((c) => c.parent?.code === scope.city!.code);
  if (scope.province) return counties.filter((c) => c.province.code === scope.province!.code);
  return [...counties];
}

export function per100k(count: number, population: number): number {
  return population > 0 ? (count / population) * 100_000 : 0;
}
