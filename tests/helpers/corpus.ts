/**
 * Helpers of the bad-input corpus (tests/integration/corpus.test.ts): raw HTTP requests that never
 * throw, the leak checks every response must pass, operations generated from the schema, and a
 * fingerprint of every table so that the corpus can show it changed nothing.
 */
import {
  getNamedType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import type { Pools } from '../../src/db/pools';

/** What came back for one request; `failure` is set instead of a status when no response came. */
export interface RawResult {
  status: number;
  contentType: string;
  text: string;
  json: any;
  ms: number;
  failure?: string;
}

export interface RawRequest {
  method?: string;
  /** Path and query string, e.g. `/graphql?query=…`. */
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | Uint8Array;
  timeoutMs?: number;
}

/** Sends one request; a network error or a timeout is reported in `failure`, never thrown. */
export async function send(base: string, req: RawRequest): Promise<RawResult> {
  const started = Date.now();
  try {
    const res = await fetch(base + (req.path ?? '/graphql'), {
      method: req.method ?? 'POST',
      headers: req.headers,
      body: req.body as any,
      signal: AbortSignal.timeout(req.timeoutMs ?? 20_000),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json, ms: Date.now() - started };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const failure = `${e.name}: ${e.message}${e.cause ? ` (${e.cause.code ?? ''} ${e.cause.message ?? ''})` : ''}`;
    return { status: 0, contentType: '', text: '', json: undefined, ms: Date.now() - started, failure };
  }
}

/** A JSON GraphQL POST. */
export function gqlRequest(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): RawRequest {
  return { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) };
}

/** Runs thunks with at most `width` in flight, keeping their order in the result. */
export async function inBatches<T>(thunks: (() => Promise<T>)[], width = 8): Promise<T[]> {
  const results: T[] = new Array(thunks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, thunks.length) }, async () => {
      while (next < thunks.length) {
        const i = next++;
        results[i] = await thunks[i]();
      }
    }),
  );
  return results;
}

/** Text that must never appear in a response: SQL, PostgreSQL messages, stacks, internal paths. */
export const LEAK_PATTERNS: readonly RegExp[] = [
  /\bSELECT\b/,
  /\bINSERT INTO\b/,
  /relation "/,
  /syntax error at or near/,
  /invalid byte sequence/,
  /violates (check|not-null|foreign key|unique) constraint/,
  /\/work\//,
  /node_modules/,
  /\bat [\w.<>]+ \(.*:\d+:\d+\)/, // a stack frame
  /\.ts:\d+:\d+/,
  /stacktrace/i,
  /ID_HASH_SECRET|PASS_SIGNING_KEY|BEGIN PRIVATE KEY/,
];

/** Resident-ID-shaped text (18 characters: 17 digits and a check character). */
export const ID_NUMBER_LIKE = /(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])/g;

/** Problems with one response, whatever the case expects: empty when it is clean. */
export function leaksIn(result: RawResult, sentIdNumbers: readonly string[]): string[] {
  const problems: string[] = [];
  if (result.failure) problems.push(`no response: ${result.failure}`);
  if (result.status >= 500) problems.push(`HTTP ${result.status}`);
  // A response may be large (an echo of a large input); scan a bounded prefix and suffix.
  const text = result.text.length > 400_000 ? result.text.slice(0, 200_000) + result.text.slice(-200_000) : result.text;
  for (const p of LEAK_PATTERNS) if (p.test(text)) problems.push(`leak ${p}: …${excerpt(text, p)}…`);
  for (const id of sentIdNumbers) if (text.includes(id)) problems.push(`echoes the ID number ${id.slice(0, 6)}…`);
  const errors: any[] = Array.isArray(result.json?.errors) ? result.json.errors : [];
  for (const e of errors) {
    const code = e?.extensions?.code;
    if (typeof code !== 'string') problems.push(`error without extensions.code: ${String(e?.message).slice(0, 120)}`);
    if (code === 'INTERNAL_SERVER_ERROR') problems.push(`INTERNAL_SERVER_ERROR: ${String(e?.message).slice(0, 120)}`);
    if (e?.extensions?.stacktrace) problems.push('extensions.stacktrace in production');
  }
  return problems;
}

function excerpt(text: string, p: RegExp): string {
  const m = p.exec(text);
  if (!m) return '';
  return text.slice(Math.max(0, m.index - 60), m.index + 80).replace(/\s+/g, ' ');
}

/** The error codes of a GraphQL response (empty when none or not GraphQL). */
export function codesOf(result: RawResult): string[] {
  const errors: any[] = Array.isArray(result.json?.errors) ? result.json.errors : [];
  return errors.map((e) => e?.extensions?.code);
}

/** 4xx, or 200 with at least one GraphQL error with a code. */
export function isRejected(result: RawResult): boolean {
  if (result.status >= 400 && result.status < 500) return true;
  return result.status === 200 && codesOf(result).length > 0 && codesOf(result).every((c) => typeof c === 'string');
}

/** 200 with data and no error. */
export function isCleanData(result: RawResult): boolean {
  return result.status === 200 && result.json?.data != null && result.json.errors === undefined;
}

/** One line describing a response, for failure messages. */
export function describeResult(r: RawResult): string {
  if (r.failure) return `no response after ${r.ms} ms: ${r.failure}`;
  const errs = Array.isArray(r.json?.errors) ? r.json.errors.map((e: any) => `${e?.extensions?.code}: ${String(e?.message).slice(0, 100)}`) : [];
  const data = r.json?.data === undefined ? '' : ` data=${JSON.stringify(r.json.data).slice(0, 120)}`;
  return `HTTP ${r.status} (${r.ms} ms)${errs.length ? ` errors=[${errs.join(' | ')}]` : ''}${data}${r.json ? '' : ` body=${JSON.stringify(r.text.slice(0, 160))}`}`;
}

// ---------------------------------------------------------------------------------------------
// Operations generated from the schema

/** A place where a string can be injected: an argument, or a field of an input-object argument. */
export interface StringSlot {
  /** `Query.region(code)`, `Mutation.reportCluster(input.description)`. */
  label: string;
  operation: 'query' | 'mutation';
  field: GraphQLField<unknown, unknown>;
  /** The argument, and within it the input-object path (empty for the argument itself). */
  arg: GraphQLArgument;
  path: string[];
  /** Named type of the slot: String, ID, Date, DateTime. */
  scalar: string;
  /** True when the slot is a list of strings (the value is wrapped in an array). */
  list: boolean;
  /** Name of the innermost argument or input field. */
  name: string;
}

const STRINGISH = new Set(['String', 'ID', 'Date', 'DateTime']);

/** Every String/ID/Date/DateTime slot of every Query and Mutation field, input objects included. */
export function stringSlots(schema: GraphQLSchema): StringSlot[] {
  const slots: StringSlot[] = [];
  for (const [operation, type] of [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const) {
    if (!type) continue;
    for (const field of Object.values(type.getFields())) {
      for (const arg of field.args) {
        const visit = (t: GraphQLInputType, path: string[], name: string, depth: number) => {
          const named = getNamedType(t);
          if (isScalarType(named) && STRINGISH.has(named.name)) {
            const label = `${type.name}.${field.name}(${[arg.name, ...path].join('.')})`;
            slots.push({ label, operation, field, arg, path, scalar: named.name, list: isListType(unwrapNonNull(t)), name });
          } else if (isInputObjectType(named) && depth < 3) {
            for (const f of Object.values(named.getFields())) visit(f.type, [...path, f.name], f.name, depth + 1);
          }
        };
        visit(arg.type, [], arg.name, 0);
      }
    }
  }
  return slots;
}

function unwrapNonNull(t: GraphQLInputType): GraphQLInputType {
  return isNonNullType(t) ? t.ofType : t;
}

/** A selection of every leaf field without required arguments, plus `__typename`; nothing for a leaf. */
export function selectionOf(type: GraphQLOutputType): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (!isObjectType(named) && !isInterfaceType(named)) return '{ __typename }';
  const leaves = Object.values(named.getFields())
    .filter((f) => isLeafType(getNamedType(f.type)) && f.args.every((a) => !isNonNullType(a.type)))
    .map((f) => f.name);
  return `{ __typename ${leaves.join(' ')} }`;
}

/** `query($a: T!, …) { field(a: $a, …) { … } }` over every argument of a root field. */
export function operationFor(operation: 'query' | 'mutation', field: GraphQLField<unknown, unknown>, args: readonly GraphQLArgument[] = field.args): string {
  const defs = args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const call = args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
  // Mutation payloads are selected one level deeper, so that their userErrors are seen.
  const selection = operation === 'mutation' ? deepSelectionOf(field.type, 1) : selectionOf(field.type);
  return `${operation}${defs ? `(${defs})` : ''} { ${field.name}${call} ${selection} }`;
}

/** Sets `value` at `path` inside a copy of `base` (an input object), creating objects on the way. */
export function withValueAt(base: any, path: string[], value: unknown): any {
  if (path.length === 0) return value;
  const copy = Array.isArray(base) ? [...base] : { ...(base ?? {}) };
  copy[path[0]] = withValueAt(copy[path[0]], path.slice(1), value);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Table fingerprints

export interface TableFingerprint {
  table: string;
  rows: number;
  md5: string;
}

/** count(*) and an md5 over the ordered text of every row, for every table of the given schemas. */
export async function fingerprint(pools: Pools, schemas: readonly string[], skip: readonly string[]): Promise<TableFingerprint[]> {
  const pool = pools.access;
  const { rows: tables } = await pool.query<{ table: string }>(
    `SELECT table_schema || '.' || table_name AS table FROM information_schema.tables
      WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE' ORDER BY 1`,
    [schemas],
  );
  const out: TableFingerprint[] = [];
  for (const { table } of tables) {
    if (skip.includes(table)) continue;
    const [schema, name] = table.split('.');
    const q = `"${schema}"."${name}"`;
    const { rows } = await pool.query<{ rows: number; md5: string }>(
      `SELECT count(*)::int AS rows, coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') AS md5 FROM ${q} t`,
    );
    out.push({ table, rows: rows[0].rows, md5: rows[0].md5 });
  }
  return out;
}

/** Writes raw bytes to the server's socket (for requests fetch refuses to send); reads until close or `timeoutMs`. */
export async function sendRawBytes(base: string, bytes: Buffer, timeoutMs = 3000): Promise<RawResult> {
  const { createConnection } = await import('node:net');
  const url = new URL(base);
  const started = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = createConnection({ host: url.hostname, port: Number(url.port) });
    const finish = (failure?: string) => {
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
      const text = raw.slice(raw.indexOf('\r\n\r\n') + 4);
      let json: any;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const ctype = /content-type: *([^\r\n]*)/i.exec(raw)?.[1] ?? '';
      resolve(m ? { status: Number(m[1]), contentType: ctype, text: raw, json, ms: Date.now() - started } : { status: 0, contentType: '', text: raw, json: undefined, ms: Date.now() - started, failure: failure ?? 'no HTTP response' });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => finish());
    socket.on('error', (e) => finish(e.message));
    socket.write(bytes);
  });
}

/** A selection of every leaf field without required arguments and, `depth` levels down, of object fields too. */
export function deepSelectionOf(type: GraphQLOutputType, depth: number): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (!isObjectType(named) && !isInterfaceType(named)) return '{ __typename }';
  const parts = ['__typename'];
  for (const f of Object.values(named.getFields())) {
    if (f.args.some((a) => isNonNullType(a.type))) continue;
    if (isLeafType(getNamedType(f.type))) parts.push(f.name);
    else if (depth > 0) parts.push(`${f.name} ${deepSelectionOf(f.type, depth - 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}
