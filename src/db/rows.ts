import { z } from 'zod';
import { REGION_CODE, REGION_KINDS, REGION_LEVELS } from '../regionCode';

/**
 * Rows parsed at the store boundary. A statement's row type is only a promise the code makes to
 * itself: a column renamed in a migration, a `sum()` that comes back as text, an enum value the
 * code does not know, a date that arrives as a JavaScript Date — each would flow on silently and
 * surface, if at all, as a wrong figure or colour far away. Stores whose rows feed counts, dates
 * and enums into the API parse them with these column types, and a row of the wrong shape fails
 * the statement with a message naming it, the row and the column (a system error: the client sees
 * INTERNAL_SERVER_ERROR, never the message).
 *
 * The types are those node-postgres returns with the parsers of src/db/pools.ts: DATE as
 * 'YYYY-MM-DD' text, bigint as a number.
 */
export const column = {
  text: z.string(),
  /** A count: a whole number ≥ 0 (sums and counts are cast to int in SQL). */
  count: z.number().int().nonnegative(),
  int: z.number().int(),
  /** A DATE column. */
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a YYYY-MM-DD date'),
  regionCode: z.string().regex(REGION_CODE, 'a six-digit region code'),
  regionLevel: z.enum(REGION_LEVELS),
  regionKind: z.enum(REGION_KINDS),
  timestamp: z.date(),
} as const;

/** The row of a statement that fails to parse: a bug or a schema drift, never the client's fault. */
export class RowShapeError extends Error {
  constructor(statement: string, index: number, issue: z.core.$ZodIssue) {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(row)';
    super(`${statement}: row ${index} has an unexpected ${path}: ${issue.message}`);
    this.name = 'RowShapeError';
  }
}

/**
 * Parses every row of `statement` with `schema` (a `z.object` of `column` types), returning the
 * parsed rows; throws RowShapeError on the first that does not fit. Extra columns are dropped.
 */
export function parseRows<S extends z.ZodType>(statement: string, schema: S, rows: readonly unknown[]): z.output<S>[] {
  const out: z.output<S>[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const result = schema.safeParse(rows[i]);
    if (!result.success) throw new RowShapeError(statement, i, result.error.issues[0]);
    out[i] = result.data;
  }
  return out;
}

/** Something that runs a named statement: a store's `Sql`, or `{ query }` of a transaction. */
export interface RunsStatements {
  query(name: string, text: string, params?: unknown[]): Promise<unknown[]>;
}

/** Runs a named statement and parses its rows (`parseRows`). */
export async function queryRows<S extends z.ZodType>(db: RunsStatements, name: string, schema: S, text: string, params: unknown[] = []): Promise<z.output<S>[]> {
  return parseRows(name, schema, await db.query(name, text, params));
}
