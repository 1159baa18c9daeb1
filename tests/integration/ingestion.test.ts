import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { startTestServer, type TestServer } from '../helpers/server';
import { seededCopy, type OwnDatabase } from '../helpers/fixtures';
import { DEMO_KEYS, KeyStore } from '../../datasources/apiKeys';
import { hashIdNumber } from '../../src/privacy/idHash';
import { TEST_ID_HASH_SECRET } from '../helpers/secrets';
import { DEMO_PEOPLE } from '../../src/seed/demoPeople';
import { generateSeedData } from '../../src/seed/generate';
import { flowsCsv, staysNdjson } from '../../src/seed/uploadFiles';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

/**
 * Carriers' uploads over HTTP (docs/ingestion.md): POST /ingest/flows and /ingest/stays with a
 * CARRIER key. Every upload here is for the operator `test-rail` (a key made for this suite) on
 * days of early 2020, far from the seed's window, and its rows are removed afterwards: the shared
 * test database keeps the demo as seeded.
 */

const OPERATOR = 'test-rail';
const STRANGER_ID = '510107199506063211'; // a valid number that belongs to nobody in the demo
const wang = DEMO_PEOPLE.find((p) => p.key === 'wangHong')!;
// INGEST_SEGMENT_ROWS: a file of more than one 64 kB COPY chunk (≈ 1,800 flow rows) is applied in segments
const LIMITS = { INGEST_MAX_BYTES: '1mb', INGEST_MAX_ROWS: '20000', INGEST_MAX_ERRORS: '3', INGEST_SEGMENT_ROWS: '1000' };

let server: TestServer;
let key: string;

interface Answer {
  status: number;
  body: { job?: Record<string, any>; errors?: { message: string; extensions: { code: string } }[] };
  text: string;
}

async function upload(kind: 'flows' | 'stays', body: string | Buffer, options: { type?: string; gzip?: boolean; query?: string; key?: string | null } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': options.type ?? (kind === 'flows' ? 'text/csv' : 'application/x-ndjson') };
  const auth = options.key === undefined ? key : options.key;
  if (auth !== null) headers.authorization = `Bearer ${auth}`;
  if (options.gzip) headers['content-encoding'] = 'gzip';
  const res = await fetch(`${server.url}/ingest/${kind}${options.query ?? ''}`, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), text };
}

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
const FLOW_HEADER = 'date,origin,destination,trips,mode';

async function flowsOf(date: string): Promise<string[]> {
  const { rows } = await server.pools.mobility.query<{ r: string }>(
    `SELECT concat_ws(',', date, origin_code, dest_code, trips, mode) AS r FROM mobility.flows WHERE operator = $1 AND date = $2 ORDER BY 1`,
    [OPERATOR, date],
  );
  return rows.map((r) => r.r);
}

async function operatorRows(): Promise<{ flows: number; stays: number }> {
  const { rows } = await server.pools.mobility.query<{ flows: number; stays: number }>(
    `SELECT (SELECT count(*)::int FROM mobility.flows WHERE operator = $1) AS flows, (SELECT count(*)::int FROM mobility.stays WHERE operator = $1) AS stays`,
    [OPERATOR],
  );
  return rows[0];
}

/** Each test of the calling block leaves the operator's rows as they were. */
function expectNothingApplied(): void {
  let before: { flows: number; stays: number };
  beforeEach(async () => {
    before = await operatorRows();
  });
  afterEach(async () => {
    expect(await operatorRows()).toEqual(before);
  });
}

// uploads write flows, stays and persons: a copy of the seed of this suite's own (its demo operator's rows are compared too)
let db: OwnDatabase;

beforeAll(async () => {
  db = await seededCopy('ingestion');
  server = await startTestServer({ env: LIMITS, databaseUrl: db.url });
  key = (await KeyStore.over(server.pools.access).create({ role: 'CARRIER', ownerName: '测试铁路', operator: OPERATOR })).key;
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
});

describe('POST /ingest/flows', () => {
  it('stores a CSV day of flows under the key\'s operator and answers with the job', async () => {
    const r = await upload('flows', csv(FLOW_HEADER, '2020-03-01,420106,110101,120,RAIL', '2020-03-01,110101,420106,80,rail', '2020-03-01,420106,310101,7,AIR'));
    expect(r.status).toBe(200);
    expect(r.body.job).toMatchObject({ kind: 'FLOWS', status: 'SUCCEEDED', format: 'CSV', partial: false, rowsReceived: 3, rowsApplied: 3, rowsReplaced: 0, errorCount: 0, errors: [], dates: ['2020-03-01'] });
    expect(r.body.job!.durationMs).toEqual(expect.any(Number));
    expect(await flowsOf('2020-03-01')).toEqual(['2020-03-01,110101,420106,80,RAIL', '2020-03-01,420106,110101,120,RAIL', '2020-03-01,420106,310101,7,AIR']);
  });

  it('replaces the operator\'s day when it is sent again, never duplicates it, and leaves other operators\' rows alone', async () => {
    const demoBefore = (await server.pools.mobility.query(`SELECT count(*)::int AS n FROM mobility.flows WHERE operator = 'demo'`)).rows[0].n;
    const r = await upload('flows', csv(FLOW_HEADER, '2020-03-01,420106,110101,100,RAIL'));
    expect(r.body.job).toMatchObject({ status: 'SUCCEEDED', rowsApplied: 1, rowsReplaced: 3 });
    expect(await flowsOf('2020-03-01')).toEqual(['2020-03-01,420106,110101,100,RAIL']);
    const again = await upload('flows', csv(FLOW_HEADER, '2020-03-01,420106,110101,100,RAIL'));
    expect(again.body.job).toMatchObject({ status: 'SUCCEEDED', rowsApplied: 1, rowsReplaced: 1 });
    expect(await flowsOf('2020-03-01')).toEqual(['2020-03-01,420106,110101,100,RAIL']);
    expect((await server.pools.mobility.query(`SELECT count(*)::int AS n FROM mobility.flows WHERE operator = 'demo'`)).rows[0].n).toBe(demoBefore);
  });

  it('accepts NDJSON, gzip, a BOM and CRLF line ends', async () => {
    const ndjson = [
      { date: '2020-03-02', origin: '420106', destination: '110101', trips: 5, mode: 'ROAD' },
      { date: '2020-03-02', origin: '110101', destination: '420106', trips: '6', mode: 'ROAD' },
    ].map((o) => JSON.stringify(o)).join('\r\n');
    const gz = await upload('flows', gzipSync(Buffer.from(`\uFEFF${ndjson}\r\n`)), { type: 'application/x-ndjson', gzip: true });
    expect(gz.status).toBe(200);
    expect(gz.body.job).toMatchObject({ status: 'SUCCEEDED', format: 'NDJSON', rowsApplied: 2 });
    const bomCrlf = await upload('flows', `\uFEFF${FLOW_HEADER}\r\n2020-03-03,420106,110101,9,MIXED\r\n`, { type: 'text/csv; charset=utf-8' });
    expect(bomCrlf.status).toBe(200);
    expect(await flowsOf('2020-03-03')).toEqual(['2020-03-03,420106,110101,9,MIXED']);
  });

  it('keeps the columns in any order', async () => {
    const r = await upload('flows', csv('mode,trips,destination,origin,date', 'AIR,4,110101,420106,2020-03-04'));
    expect(r.status).toBe(200);
    expect(await flowsOf('2020-03-04')).toEqual(['2020-03-04,420106,110101,4,AIR']);
  });
});

describe('bad input: each answered precisely, nothing applied', () => {
  expectNothingApplied();

  const rejected = (r: Answer) => {
    expect(r.status).toBe(422);
    expect(r.body.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(r.body.job).toMatchObject({ status: 'REJECTED', rowsApplied: 0 });
    return r.body.job!.errors as { row: number | null; column: string | null; message: string }[];
  };
  const day = (offset: number) => new Date(Date.now() + 8 * 3_600_000 + offset * 86_400_000).toISOString().slice(0, 10);

  it.each([
    ['an unknown region code', '2020-03-05,999999,110101,3,RAIL', { row: 2, column: 'origin', message: expect.stringMatching(/999999 is not the code of a county-level unit/) }],
    ['a city code instead of a county', '2020-03-05,420100,110101,3,RAIL', { row: 2, column: 'origin', message: expect.stringMatching(/420100 is not the code of a county-level unit/) }],
    ['a date in the future', `${day(1)},420106,110101,3,RAIL`, { row: 2, column: 'date', message: expect.stringMatching(/is in the future/) }],
    ['a date before 2019-12-01', '2019-11-30,420106,110101,3,RAIL', { row: 2, column: 'date', message: '2019-11-30 is before 2019-12-01, the earliest day of the data.' }],
    ['a date that does not exist', '2020-02-30,420106,110101,3,RAIL', { row: 2, column: 'date', message: expect.stringMatching(/is not a date/) }],
    ['negative trips', '2020-03-05,420106,110101,-4,RAIL', { row: 2, column: 'trips', message: '-4 is negative; trips are counted from 1.' }],
    ['fractional trips', '2020-03-05,420106,110101,2.5,RAIL', { row: 2, column: 'trips', message: '"2.5" is not a whole number.' }],
    ['an unknown mode', '2020-03-05,420106,110101,3,HORSE', { row: 2, column: 'mode', message: expect.stringMatching(/not a mode; one of AIR, RAIL/) }],
    ['a flow from a county to itself', '2020-03-05,420106,420106,3,RAIL', { row: 2, column: 'destination', message: expect.stringMatching(/two different counties/) }],
  ])('%s: row, column and reason', async (_name, bad, error) => {
    const errors = rejected(await upload('flows', csv(FLOW_HEADER, '2020-03-05,420106,110101,3,RAIL', bad)));
    expect(errors).toEqual([error]);
  });

  it('duplicate rows within a file: the repeat names the row it repeats', async () => {
    const errors = rejected(await upload('flows', csv(FLOW_HEADER, '2020-03-05,420106,110101,3,RAIL', '2020-03-05,420106,310101,3,RAIL', '2020-03-05,420106,110101,4,RAIL')));
    expect(errors).toEqual([{ row: 3, column: 'mode', message: 'repeats row 1: same date, origin, destination and mode.' }]);
  });

  it('lists the first INGEST_MAX_ERRORS problems and counts them all', async () => {
    const bad = Array.from({ length: 10 }, (_, i) => `2020-03-05,42010${i},110101,-1,RAIL`);
    const r = await upload('flows', csv(FLOW_HEADER, ...bad));
    expect(rejected(r)).toHaveLength(3);
    expect(r.body.job!.errorCount).toBeGreaterThanOrEqual(10);
  });

  it('a row with too few fields', async () => {
    expect(rejected(await upload('flows', csv(FLOW_HEADER, '2020-03-05,420106,110101,3')))).toEqual([{ row: 1, column: null, message: 'Line 2 has 4 fields; the header has 5.' }]);
  });

  it.each([
    ['a column of another name', 'date,from,destination,trips,mode', /Wrong header: column 2 "from" is not a column of this upload/],
    ['a missing column', 'date,origin,destination,trips', /Wrong header: missing "mode"/],
    ['a column twice', 'date,origin,destination,trips,mode,date', /Wrong header: column "date" is given twice/],
    ['no header at all', '2020-03-05,420106,110101,3,RAIL', /Wrong header: column 1 "2020-03-05"/],
  ])('wrong headers: %s', async (_name, header, message) => {
    const r = await upload('flows', csv(header, '2020-03-05,420106,110101,3,RAIL'));
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0].message).toMatch(message);
    expect(r.body.job).toMatchObject({ status: 'REJECTED', rowsApplied: 0 });
  });

  it('an empty file', async () => {
    const r = await upload('flows', '');
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0].message).toMatch(/The file is empty/);
  });

  it('a truncated gzip', async () => {
    const whole = gzipSync(Buffer.from(csv(FLOW_HEADER, ...Array.from({ length: 200 }, (_, i) => `2020-03-05,420106,${110101 + i},3,RAIL`))));
    const r = await upload('flows', whole.subarray(0, whole.length - 20), { gzip: true });
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0].message).toMatch(/The gzip stream is truncated/);
    expect(r.body.job).toMatchObject({ status: 'REJECTED' });
  });

  it('a body that is not gzip although Content-Encoding says so', async () => {
    const r = await upload('flows', csv(FLOW_HEADER, '2020-03-05,420106,110101,3,RAIL'), { gzip: true });
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0].message).toMatch(/not valid gzip/);
  });

  it('a file of 2 GB: refused by its Content-Length before a byte is read', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${server.url}/ingest/flows`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv', 'content-length': String(2 * 1024 ** 3) },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.write(`${FLOW_HEADER}\n`);
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).errors[0].message).toMatch(/The upload is 2147483648 bytes; at most 1048576 are accepted \(INGEST_MAX_BYTES\)/);
  });

  it('a body larger than INGEST_MAX_BYTES without a Content-Length: refused by the bytes counted while streaming', async () => {
    // wide rows (spaces around a field are trimmed), so that the bytes run out before INGEST_MAX_ROWS
    const rows = Array.from({ length: 5000 }, (_, i) => `2020-03-05,420106,110101,${i + 1},RAIL${' '.repeat(200)}\n`);
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`${FLOW_HEADER}\n`));
        for (let i = 0; i < rows.length; i += 100) controller.enqueue(new TextEncoder().encode(rows.slice(i, i + 100).join('')));
        controller.close();
      },
    });
    const res = await fetch(`${server.url}/ingest/flows`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' }, body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    const answer = (await res.json()) as Answer['body'];
    expect(answer.errors?.[0].message).toMatch(/The upload is larger than 1 MB \(INGEST_MAX_BYTES\)/);
    expect(answer.job).toMatchObject({ status: 'REJECTED', rowsApplied: 0 });
  });

  it('a gzip that decompresses past INGEST_MAX_BYTES (a zip bomb)', async () => {
    const bomb = gzipSync(Buffer.concat([Buffer.from(`${FLOW_HEADER}\n`), Buffer.alloc(4 * 1024 * 1024, 0x0a)]));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const r = await upload('flows', bomb, { gzip: true });
    expect(r.status).toBe(413);
    expect(r.body.errors?.[0].message).toMatch(/The upload once decompressed is larger than/);
  });

  it('more rows than INGEST_MAX_ROWS', async () => {
    const rows = Array.from({ length: 20_001 }, (_, i) => `2020-03-05,420106,${String(110101 + (i % 7))},${i + 1},RAIL`);
    const r = await upload('flows', csv(FLOW_HEADER, ...rows));
    expect(r.status).toBe(413);
    expect(r.body.errors?.[0].message).toMatch(/more than 20,000 rows \(INGEST_MAX_ROWS\)/);
  });

  it('an unsupported media type or encoding', async () => {
    expect((await upload('flows', '{}', { type: 'application/json' })).status).toBe(415);
    const r = await fetch(`${server.url}/ingest/flows`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv', 'content-encoding': 'br' }, body: 'x' });
    expect(r.status).toBe(415);
    expect(((await r.json()) as Answer['body']).errors?.[0].message).toMatch(/Content-Encoding br is not supported/);
  });

  it('NDJSON: a line that is not JSON, a field of another upload, a missing field', async () => {
    const r = await upload('flows', ['{"date":"2020-03-05"', JSON.stringify({ date: '2020-03-05', origin: '420106', destination: '110101', trips: 3, mode: 'RAIL', county: 'x' }), JSON.stringify({ date: '2020-03-05', origin: '420106', destination: '110101', trips: 3 })].join('\n'), { type: 'application/x-ndjson' });
    expect(rejected(r)).toEqual([
      { row: 1, column: null, message: 'Line 1 is not valid JSON.' },
      { row: 2, column: 'county', message: expect.stringMatching(/is not a field of this upload/) },
      { row: 3, column: 'mode', message: 'is missing.' },
    ]);
  });
});

describe('POST /ingest/stays', () => {
  const stay = (o: Record<string, string>) => JSON.stringify({ name: '张三', idNumber: STRANGER_ID, county: '420106', arrived: '2020-03-10T08:00:00+08:00', left: '2020-03-10T18:00:00+08:00', source: 'RAIL', ...o });

  it('stores stays by the HMAC of the ID number, finding a known person and registering an unknown one; the answer holds nothing personal', async () => {
    const r = await upload('stays', [stay({}), stay({ name: wang.name, idNumber: wang.idNumber, arrived: '2020-03-10 09:00+08', left: '2020-03-11T01:00:00Z' })].join('\n'));
    expect(r.status).toBe(200);
    expect(r.body.job).toMatchObject({ kind: 'STAYS', status: 'SUCCEEDED', rowsApplied: 2, dates: ['2020-03-10'] });
    expect(r.text).not.toMatch(new RegExp(`${STRANGER_ID}|${wang.idNumber}|张三|${wang.name}`));
    const { rows } = await server.pools.cases.query<{ id: string; id_hash: Buffer; name: string }>(
      'SELECT id, id_hash, name FROM cases.persons WHERE id_hash = ANY($1)',
      [[hashIdNumber(STRANGER_ID, TEST_ID_HASH_SECRET), hashIdNumber(wang.idNumber, TEST_ID_HASH_SECRET)]],
    );
    expect(rows.map((p) => p.name).sort()).toEqual(['张三', wang.name].sort());
    const stays = await server.pools.mobility.query<{ person_id: string; region_code: string; hours: number; source: string }>(
      `SELECT person_id, region_code, extract(epoch FROM left_at - arrived_at)::int / 3600 AS hours, source FROM mobility.stays WHERE operator = $1 ORDER BY arrived_at`,
      [OPERATOR],
    );
    expect(stays.rows.map((s) => s.person_id).sort()).toEqual(rows.map((p) => p.id).sort());
    expect(stays.rows.map((s) => [s.region_code, s.hours, s.source])).toEqual([['420106', 10, 'RAIL'], ['420106', 24, 'RAIL']]);
  });

  describe('bad input, nothing applied', () => {
    expectNothingApplied();

    it.each([
      ['a stay that ends before it starts', { left: '2020-03-10T07:00:00+08:00' }, { row: 1, column: 'left', message: 'is not after arrived: a stay ends after it starts.' }],
      ['a stay shorter than 4 hours', { left: '2020-03-10T10:00:00+08:00' }, { row: 1, column: 'left', message: expect.stringMatching(/less than 4 hours/) }],
      ['a time without its offset', { arrived: '2020-03-10T08:00:00' }, { row: 1, column: 'arrived', message: expect.stringMatching(/not a timestamp with its offset/) }],
      ['an ID number with a wrong check digit', { idNumber: '110105199003071238' }, { row: 1, column: 'idNumber', message: expect.stringMatching(/check character/) }],
      ['an unknown county', { county: '420199' }, { row: 1, column: 'county', message: expect.stringMatching(/420199 is not the code of a county-level unit/) }],
      ['an unknown source', { source: 'CAMEL' }, { row: 1, column: 'source', message: expect.stringMatching(/not a source/) }],
      ['an empty name', { name: ' ' }, { row: 1, column: 'name', message: 'is empty.' }],
    ])('%s', async (_name, change, error) => {
      const r = await upload('stays', stay(change));
      expect(r.status).toBe(422);
      expect(r.body.job!.errors).toEqual([error]);
      expect(r.text).not.toMatch(/110105199003071238|510107199506063211/);
    });

    it('the same person arriving twice at the same time', async () => {
      const r = await upload('stays', [stay({}), stay({ county: '110101' })].join('\n'));
      expect(r.status).toBe(422);
      expect(r.body.job!.errors).toEqual([{ row: 2, column: 'arrived', message: 'repeats row 1: same person and arrival.' }]);
    });
  });
});

/**
 * Flows applied segment by segment while the file arrives (services/ingestion/segments.ts; here every
 * ≈ 1,800 rows, one COPY chunk past INGEST_SEGMENT_ROWS): the outcome is the whole file's.
 */
describe('large files, applied in segments', () => {
  let codes: string[];
  beforeAll(async () => {
    codes = (await server.pools.region.query<{ code: string }>(`SELECT code FROM region.regions WHERE level = 'COUNTY' ORDER BY code LIMIT 200`)).rows.map((r) => r.code);
  });
  /** `n` distinct rows over `days` (row i on day i % days), trips from `trips(i)`. */
  const rows = (n: number, days: string[], trips: (i: number) => number = (i) => 1 + (i % 97)) =>
    Array.from({ length: n }, (_, i) => {
      const k = Math.floor(i / days.length);
      return `${days[i % days.length]},${codes[k % codes.length]},${codes[(k + 1 + Math.floor(k / codes.length)) % codes.length]},${trips(i)},ROAD`;
    });
  const count = async (days: string[]) =>
    Number((await server.pools.mobility.query(`SELECT count(*) AS n FROM mobility.flows WHERE operator = $1 AND date = ANY($2::date[])`, [OPERATOR, days])).rows[0].n);
  const DAYS = ['2020-03-20', '2020-03-21'];

  it('a day spread over several segments is replaced once and ends up as the file has it', async () => {
    const first = await upload('flows', csv(FLOW_HEADER, ...rows(8000, DAYS)));
    expect(first.body.job).toMatchObject({ status: 'SUCCEEDED', rowsReceived: 8000, rowsApplied: 8000, rowsReplaced: 0, dates: DAYS });
    expect(await count(DAYS)).toBe(8000);
    const again = await upload('flows', csv(FLOW_HEADER, ...rows(6000, DAYS, () => 5)));
    expect(again.body.job).toMatchObject({ status: 'SUCCEEDED', rowsApplied: 6000, rowsReplaced: 8000, dates: DAYS });
    expect(await count(DAYS)).toBe(6000);
    const { rows: [t] } = await server.pools.mobility.query(`SELECT min(trips) AS lo, max(trips) AS hi FROM mobility.flows WHERE operator = $1 AND date = ANY($2::date[])`, [OPERATOR, DAYS]);
    expect(t).toEqual({ lo: 5, hi: 5 });
  });

  describe('nothing applied when the file fails after segments went in', () => {
    expectNothingApplied();

    it('a row repeating one of an earlier segment: rejected, naming both rows', async () => {
      const body = rows(6000, DAYS);
      body.push(body[10]);
      const r = await upload('flows', csv(FLOW_HEADER, ...body));
      expect(r.status).toBe(422);
      expect(r.body.job).toMatchObject({ status: 'REJECTED', rowsApplied: 0, errorCount: 1 });
      expect(r.body.job!.errors).toEqual([{ row: 6001, column: 'mode', message: 'repeats row 11: same date, origin, destination and mode.' }]);
    });

    it('a bad last row', async () => {
      const r = await upload('flows', csv(FLOW_HEADER, ...rows(6000, ['2020-03-22']), '2020-03-22,420106,999999,3,ROAD'));
      expect(r.status).toBe(422);
      expect(r.body.job).toMatchObject({ status: 'REJECTED', rowsApplied: 0, errors: [{ row: 6001, column: 'destination', message: expect.stringMatching(/999999/) }] });
    });
  });

  it('partial: a repeat across segments keeps the earlier row and is reported', async () => {
    const body = rows(6000, ['2020-03-23'], () => 7);
    const repeat = body[3].replace(/,7,ROAD$/, ',9,ROAD');
    const r = await upload('flows', csv(FLOW_HEADER, ...body, repeat), { query: '?partial=true' });
    expect(r.body.job).toMatchObject({ status: 'SUCCEEDED', rowsReceived: 6001, rowsApplied: 6000, errorCount: 1 });
    expect(r.body.job!.errors).toEqual([{ row: 6001, column: 'mode', message: 'repeats row 4: same date, origin, destination and mode.' }]);
    const [date, origin, destination] = body[3].split(',');
    const { rows: kept } = await server.pools.mobility.query(`SELECT trips FROM mobility.flows WHERE operator = $1 AND date = $2 AND origin_code = $3 AND dest_code = $4`, [OPERATOR, date, origin, destination]);
    expect(kept).toEqual([{ trips: 7 }]);
  });
});

describe('partial uploads (?partial=true)', () => {
  it('applies the good rows, reports the bad ones and the repeats', async () => {
    const r = await upload('flows', csv(FLOW_HEADER, '2020-03-06,420106,110101,3,RAIL', '2020-03-06,420106,999999,3,RAIL', '2020-03-06,420106,110101,8,RAIL', '2020-03-06,110101,420106,2,RAIL'), { query: '?partial=true' });
    expect(r.status).toBe(200);
    expect(r.body.job).toMatchObject({ status: 'SUCCEEDED', partial: true, rowsReceived: 4, rowsApplied: 2, errorCount: 2 });
    expect(r.body.job!.errors).toEqual([
      { row: 2, column: 'destination', message: expect.stringMatching(/999999/) },
      { row: 3, column: 'mode', message: 'repeats row 1: same date, origin, destination and mode.' },
    ]);
    expect(await flowsOf('2020-03-06')).toEqual(['2020-03-06,110101,420106,2,RAIL', '2020-03-06,420106,110101,3,RAIL']);
  });

  it('refuses a partial that is neither true nor false', async () => {
    expect((await upload('flows', csv(FLOW_HEADER), { query: '?partial=yes' })).status).toBe(400);
  });
});

describe('who may upload', () => {
  it('only a CARRIER: none is 401, other roles 403, demo-carrier uploads for the demo operator', async () => {
    const body = csv(FLOW_HEADER);
    const none = await upload('flows', body, { key: null });
    expect(none.status).toBe(401);
    expect(none.body.errors?.[0].message).toMatch(/POST \/ingest\/flows requires role CARRIER; this request has role PUBLIC/);
    for (const role of ['PARTNER', 'GOV', 'HEALTH'] as const) {
      const r = await upload('flows', body, { key: DEMO_KEYS[role] });
      expect([role, r.status, r.body.errors?.[0].extensions.code]).toEqual([role, 403, 'FORBIDDEN']);
    }
    expect((await upload('flows', body, { key: 'not-a-key' })).status).toBe(401);
    const demo = await upload('flows', body, { key: DEMO_KEYS.CARRIER });
    expect(demo.body.job).toMatchObject({ status: 'SUCCEEDED', rowsApplied: 0 });
  });
});

describe('the simulator as a client', () => {
  it('gets the tables of the direct seed when a day of its flows and stays is sent through POST /ingest (demo-carrier)', async () => {
    // The test database was seeded today at scale small: the same data, generated again here.
    const data = generateSeedData({ scale: 'small', seedDay: todayCst() });
    const day = addDays(todayCst(), -3);
    const flows = () =>
      server.pools.mobility.query(`SELECT date::text, origin_code, dest_code, trips, operator, mode FROM mobility.flows WHERE operator = 'demo' AND date = $1 ORDER BY 1, 2, 3`, [day]).then((r) => r.rows);
    const stays = () =>
      server.pools.mobility
        .query(
          `SELECT person_id, region_code, arrived_at, left_at, operator, source FROM mobility.stays
            WHERE operator = 'demo' AND (arrived_at AT TIME ZONE 'Asia/Shanghai')::date = $1 ORDER BY 1, 3`,
          [day],
        )
        .then((r) => r.rows);
    const [seededFlows, seededStays] = [await flows(), await stays()];
    expect(seededFlows.length).toBeGreaterThan(100);
    expect(seededStays.length).toBeGreaterThan(10);

    const f = await upload('flows', [...flowsCsv(data, (d) => d === day)].join(''), { key: DEMO_KEYS.CARRIER });
    expect(f.body.job).toMatchObject({ status: 'SUCCEEDED', rowsApplied: seededFlows.length, rowsReplaced: seededFlows.length, dates: [day] });
    const s = await upload('stays', [...staysNdjson(data, (arrived) => arrived.startsWith(day))].join(''), { key: DEMO_KEYS.CARRIER });
    expect(s.body.job).toMatchObject({ status: 'SUCCEEDED', rowsApplied: seededStays.length, rowsReplaced: seededStays.length, dates: [day] });

    expect(await flows()).toEqual(seededFlows);
    expect(await stays()).toEqual(seededStays);
  });
});

describe('the jobs of an operator (Query.ingestJob, ingestJobs)', () => {
  const JOB = `query($id: ID!) { ingestJob(id: $id) { id kind status rowsApplied errorCount errors { row column message } durationMs } }`;
  const JOBS = `query($first: Int, $after: String) { ingestJobs(first: $first, after: $after) { totalCount nodes { id status } pageInfo { hasNextPage endCursor } } }`;

  it('shows a CARRIER its own uploads, newest first and paged, and nothing of another operator', async () => {
    for (let i = 0; i < 2; i++) await upload('flows', csv(FLOW_HEADER));
    const r = await upload('flows', csv(FLOW_HEADER, '2020-03-07,420106,999999,3,RAIL'));
    const id = r.body.job!.id as string;
    const own = await server.gql(JOB, { id }, { authorization: `Bearer ${key}` });
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data.ingestJob).toMatchObject({ id, kind: 'FLOWS', status: 'REJECTED', rowsApplied: 0, errorCount: 1, errors: [{ row: 1, column: 'destination' }] });
    expect(own.body.data.ingestJob.durationMs).toEqual(expect.any(Number));

    const first = await server.gql(JOBS, { first: 2 }, { authorization: `Bearer ${key}` });
    expect(first.body.data.ingestJobs.nodes[0].id).toBe(id);
    expect(first.body.data.ingestJobs.totalCount).toBeGreaterThan(2);
    const next = await server.gql(JOBS, { first: 2, after: first.body.data.ingestJobs.pageInfo.endCursor }, { authorization: `Bearer ${key}` });
    expect(next.body.data.ingestJobs.nodes.map((n: { id: string }) => n.id)).not.toContain(id);

    // demo-carrier is another operator: the job is not there for it
    const other = await server.gql(JOB, { id }, { authorization: `Bearer ${DEMO_KEYS.CARRIER}` });
    expect(other.body.data.ingestJob).toBeNull();
    const theirs = await server.gql(JOBS, { first: 100 }, { authorization: `Bearer ${DEMO_KEYS.CARRIER}` });
    expect(theirs.body.data.ingestJobs.nodes.map((n: { id: string }) => n.id)).not.toContain(id);
  });

  it('is CARRIER only, and a page size is bounded', async () => {
    const health = await server.gql(JOBS, {}, { authorization: `Bearer ${DEMO_KEYS.HEALTH}` });
    expect(health.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const big = await server.gql(JOBS, { first: 101 }, { authorization: `Bearer ${key}` });
    expect(big.body.errors?.[0].extensions?.code).toMatch(/BAD_USER_INPUT|QUERY_TOO_COMPLEX/);
    const cursor = await server.gql(JOBS, { after: 'bm90LWEtY3Vyc29y' }, { authorization: `Bearer ${key}` });
    expect(cursor.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('slow bodies', () => {
  it('cuts an upload that arrives slower than INGEST_MIN_BYTES_PER_SECOND with 408, nothing applied, and the job FAILED', async () => {
    const slow = await startTestServer({ env: { INGEST_RATE_GRACE_MS: '300', INGEST_MIN_BYTES_PER_SECOND: '100000' }, databaseUrl: db.url });
    try {
      const before = await operatorRows();
      const body = new ReadableStream({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode(`${FLOW_HEADER}\n2020-03-08,420106,110101,3,RAIL\n`));
          await new Promise((r) => setTimeout(r, 3000));
          controller.close();
        },
      });
      const res = await fetch(`${slow.url}/ingest/flows`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' }, body, duplex: 'half' } as RequestInit);
      expect(res.status).toBe(408);
      const answer = (await res.json()) as Answer['body'];
      expect(answer.errors?.[0].message).toMatch(/less than 100000 bytes per second \(INGEST_MIN_BYTES_PER_SECOND\)/);
      expect(answer.job).toMatchObject({ status: 'FAILED', rowsApplied: 0 });
      expect(await operatorRows()).toEqual(before);
    } finally {
      await slow.close();
    }
  });
});

describe('npm run ingest', () => {
  it('uploads a file to a running server with a progress line and prints the job; exits 1 when refused', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { execFile } = await import('node:child_process');
    const dir = mkdtempSync(path.join(tmpdir(), 'ingest-cli-'));
    const good = path.join(dir, 'flows.csv.gz');
    writeFileSync(good, gzipSync(csv(FLOW_HEADER, '2020-03-09,420106,110101,3,RAIL', '2020-03-09,110101,420106,4,RAIL')));
    const bad = path.join(dir, 'flows.csv');
    writeFileSync(bad, csv(FLOW_HEADER, '2020-03-09,420106,110101,-3,RAIL'));
    const cli = (file: string) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, ['--import', 'tsx', 'src/cli/ingest.ts', 'flows', file, '--url', server.url, '--key', key], { cwd: path.resolve(__dirname, '../..'), env: { ...process.env, CI: 'true' } }, (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    const ok = await cli(good);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/upload flows: \d+\/\d+ \(100%\)/);
    expect(ok.stdout).toMatch(/^job [0-9a-f-]{36}: SUCCEEDED in [\d.]+ s — 2 rows read, 2 applied, 0 replaced \(2020-03-09…2020-03-09\)/);
    expect(await flowsOf('2020-03-09')).toEqual(['2020-03-09,110101,420106,4,RAIL', '2020-03-09,420106,110101,3,RAIL']);
    const refused = await cli(bad);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/REJECTED/);
    expect(refused.stdout).toMatch(/row 1 trips: -3 is negative/);
    expect(refused.stderr).toMatch(/ingest failed: HTTP 422/);
  }, 60_000);
});
