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
  for (let i = 0; i < rows.length; i++) out[i] = parseRow(statement, schema, rows, i);
  return out;
}

function parseRow<S extends z.ZodType>(statement: string, schema: S, rows: readonly unknown[], index: number): z.output<S> {
  const result = schema.safeParse(rows[index]);
  if (!result.success) throw new RowShapeError(statement, index, result.error.issues[0]);
  return result.data;
}

/** Something that runs a named statement: a store's `Sql`, or `{ query }` of a transaction. */
export interface RunsStatements {
  query(name: string, text: string, params?: unknown[]): Promise<unknown[]>;
}

/**
 * Longest a statement's rows are parsed in one go before the event loop gets a turn (ms). Parsing
 * is ≈ 1 µs a column: a country's 366 days (700,000 rows) held the loop for 100–200 ms at a time
 * under the attack bench, the largest part of its long tasks, and pass checks waited behind them
 * (docs/limits.md, "Bulkheads and load shedding").
 */
const PARSE_SLICE_MS = 5;
/** Rows parsed between two looks at the clock. */
const PARSE_CLOCK_EVERY = 256;

/**
 * Runs a named statement and parses its rows (`parseRows`); a large result is parsed in slices of
 * PARSE_SLICE_MS with a turn of the event loop between them (`setImmediate`: sockets are read
 * first), so that a dashboard's big read does not hold up the requests that arrive meanwhile.
 */
export async function queryRows<S extends z.ZodType>(db: RunsStatements, name: string, schema: S, text: string, params: unknown[] = []): Promise<z.output<S>[]> {
  const rows = await db.query(name, text, params);
  if (rows.length <= PARSE_CLOCK_EVERY) return parseRows(name, schema, rows);
  const out: z.output<S>[] = new Array(rows.length);
  let sliceEnds = performance.now() + PARSE_SLICE_MS;
  for (let i = 0; i < rows.length; i++) {
    if (i % PARSE_CLOCK_EVERY === PARSE_CLOCK_EVERY - 1 && performance.now() > sliceEnds) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceEnds = performance.now() + PARSE_SLICE_MS;
    }
    out[i] = parseRow(name, schema, rows, i);
  }
  return out;
}
