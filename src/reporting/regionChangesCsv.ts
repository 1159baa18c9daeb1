import { parse } from 'csv-parse/sync';
import { REGION_CHANGE_TYPES, type RegionChangeFields, type RegionChangeType } from './regionChanges';

/**
 * A change list of the GB/T 2260 codes as a CSV file in the shape civil affairs publishes it: one
 * row per change, with a header naming the columns in Chinese or English (either order):
 *
 *   行政区划代码 / code, 单位名称 / name, 变更类型 / change, 生效日期 / effective_on,
 *   新代码 / successors (several separated by ";", "、" or spaces),
 *   上级代码 / parent_code and 人口 / population (for a new unit)
 *
 * Change types: 新增 (ADDED), 撤销 (ABOLISHED), 更名 (RENAMED), 合并 (MERGED), or the English names.
 * Parsing only checks the file's shape; the changes themselves are checked by the same rules as
 * `applyRegionChanges` (src/reporting/regionChanges.ts).
 */
const COLUMNS: Record<string, keyof RegionChangeFields> = {
  code: 'code', 行政区划代码: 'code', 代码: 'code',
  name: 'name', 单位名称: 'name', 名称: 'name',
  change: 'change', 变更类型: 'change', 变更: 'change',
  effective_on: 'effectiveOn', 生效日期: 'effectiveOn',
  successors: 'successorCodes', 新代码: 'successorCodes', 承继代码: 'successorCodes',
  parent_code: 'parentCode', 上级代码: 'parentCode',
  population: 'population', 人口: 'population',
};
const REQUIRED: (keyof RegionChangeFields)[] = ['code', 'change', 'effectiveOn'];

const CHANGE_NAMES: Record<string, RegionChangeType> = {
  新增: 'ADDED', 设立: 'ADDED', 撤销: 'ABOLISHED', 更名: 'RENAMED', 合并: 'MERGED', 并入: 'MERGED',
  ...Object.fromEntries(REGION_CHANGE_TYPES.map((t) => [t, t])),
};

/** At most this many rows in one file (applyRegionChanges takes 500 per call; the CLI sends the file in calls of that size). */
export const MAX_CSV_ROWS = 20_000;

export interface ParsedChangeList {
  changes: RegionChangeFields[];
  /** The file's line of each change (for messages). */
  lines: number[];
  errors: string[];
}

export function parseRegionChangesCsv(text: string): ParsedChangeList {
  let rows: string[][];
  try {
    rows = parse(text.replace(/^\uFEFF/, ''), { skip_empty_lines: true, trim: true, relax_column_count: false });
  } catch (err) {
    return { changes: [], lines: [], errors: [`not a CSV file: ${err instanceof Error ? err.message : String(err)}`] };
  }
  const [header, ...body] = rows;
  if (!header) return { changes: [], lines: [], errors: ['the file is empty: a header and at least one change are needed'] };
  const fields = header.map((h) => COLUMNS[h.trim().toLowerCase()] ?? COLUMNS[h.trim()]);
  const unknown = header.filter((_, i) => fields[i] === undefined);
  const missing = REQUIRED.filter((f) => !fields.includes(f));
  const errors: string[] = [];
  if (unknown.length > 0) errors.push(`line 1: unknown columns ${unknown.map((u) => JSON.stringify(u)).join(', ')}; known: ${Object.keys(COLUMNS).join(', ')}`);
  if (missing.length > 0) errors.push(`line 1: missing columns for ${missing.join(', ')}`);
  if (body.length > MAX_CSV_ROWS) errors.push(`the file has ${body.length} changes; at most ${MAX_CSV_ROWS} per file`);
  if (errors.length > 0) return { changes: [], lines: [], errors };

  const changes: RegionChangeFields[] = [];
  const lines: number[] = [];
  body.forEach((row, r) => {
    const line = r + 2;
    const value = (f: keyof RegionChangeFields) => {
      const i = fields.indexOf(f);
      return i < 0 || row[i] === '' ? null : row[i];
    };
    const change = CHANGE_NAMES[value('change') ?? ''];
    if (!change) return errors.push(`line ${line}: change "${value('change') ?? ''}" is none of ${Object.keys(CHANGE_NAMES).join(', ')}`);
    const population = value('population');
    if (population != null && !/^[0-9]{1,9}$/.test(population)) return errors.push(`line ${line}: population "${population}" is not a whole number`);
    changes.push({
      code: value('code') ?? '',
      change,
      effectiveOn: value('effectiveOn') ?? '',
      name: value('name'),
      parentCode: value('parentCode'),
      population: population == null ? null : Number(population),
      successorCodes: (value('successorCodes') ?? '').split(/[;、\s]+/).filter(Boolean),
    });
    lines.push(line);
  });
  return { changes, lines, errors };
}
