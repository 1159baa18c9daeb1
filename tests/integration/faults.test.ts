import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { startTestServer, type TestServer } from '../helpers/server';
import { operation } from '../helpers/operations';
import { addDays } from '../../src/risk/dates';

/**
 * Database faults against a PostgreSQL of its own (tests/helpers/faultDatabase.ts, a child process
 * that the test stops and starts): a slow statement, an exhausted pool, the database going away
 * under traffic and coming back. The server is never restarted.
 */

const HEALTH = { authorization: 'Bearer demo-health' };
/** Non-null from the root down: a failure leaves no data, so the answer is a plain 503. */
const READ = 'query Read { regions(level: COUNTY, first: 3) { totalCount nodes { code name } } }';
const ROOT = path.resolve(__dirname, '../..');

interface Reply {
  status: number;
  ms: number;
  codes: string[];
  body: any;
}

/** The child that owns the PostgreSQL; `send` resolves with its next JSON line. */
class FaultDatabase {
  private readonly waiting: ((msg: Record<string, any>) => void)[] = [];
  readonly stderr: string[] = [];
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      let msg: Record<string, any>;
      try {
        msg = JSON.parse(line);
      } catch {
        return; // not ours (a library printing to stdout)
      }
      this.waiting.shift()?.(msg);
    });
    child.stderr.on('data', (d) => this.stderr.push(String(d)));
  }

  static async start(): Promise<{ db: FaultDatabase; url: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/faultDatabase.ts'], { cwd: ROOT, stdio: 'pipe' });
    const db = new FaultDatabase(child);
    const ready = await db.next(60_000);
    if (!ready.ready) throw new Error(`fault database did not start: ${JSON.stringify(ready)} ${db.stderr.join('')}`);
    return { db, url: ready.ready };
  }

  private next(timeoutMs: number): Promise<Record<string, any>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the fault database in ${timeoutMs} ms: ${this.stderr.join('')}`)), timeoutMs);
      this.waiting.push((msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
    });
  }

  async send(command: 'stop' | 'start'): Promise<void> {
    const answer = this.next(30_000);
    this.child.stdin.write(`${command}\n`);
    const msg = await answer;
    if (msg.error) throw new Error(`fault database ${command}: ${msg.error}`);
  }

  async exit(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end('exit\n');
    const timer = setTimeout(() => this.child.kill('SIGTERM'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

let fault: FaultDatabase;
let url: string;
let server: TestServer;
let county: string;

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function call(query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Reply> {
  const started = Date.now();
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as any;
  const codes = (body.errors ?? []).map((e: any) => e.extensions?.code);
  return { status: res.status, ms: Date.now() - started, codes, body };
}

const read = () => call(READ, {});
let nextWrite = 0;
/** A report for a (region, date) no other write uses, so that each acknowledged write can be found later. */
const write = () => {
  const i = nextWrite++;
  const report = { regionCode: county, date: addDays('2019-12-01', i), newConfirmed: 1000 + i };
  return call(operation('ReportDailyCases'), { input: [report] }, HEALTH).then((reply) => ({ reply, report }));
};

async function readyz(): Promise<number> {
  return (await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(5000) })).status;
}

/** Polls `probe` every 100 ms until it is true; returns the elapsed ms, or throws after `limitMs`. */
async function until(what: string, probe: () => Promise<boolean>, limitMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if (await probe().catch(() => false)) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${limitMs} ms`);
}

beforeAll(async () => {
  ({ db: fault, url } = await FaultDatabase.start());
  county = await admin(async (c) => (await c.query(`SELECT code FROM region.regions WHERE level = 'COUNTY' ORDER BY code LIMIT 1`)).rows[0].code);
  // Production-like pool settings, small enough that the test can exhaust the pool.
  server = await startTestServer({
    databaseUrl: url,
    apiKeyCacheTtlMs: 0, // every write looks its key up: the access pool is exercised too
    pool: { max: 4, connectionTimeoutMs: 1000, statementTimeoutMs: 1500 },
    // Reads must reach the database: the response cache would answer them from memory while the
    // table is locked (correctly: the data did not change), and this test is about the database path.
    env: { RESPONSE_CACHE: 'off' },
  });
}, 90_000);

afterAll(async () => {
  await server?.close();
  await fault?.exit();
}, 30_000);

describe('a slow statement and an exhausted pool', () => {
  it('fail fast with SERVICE_UNAVAILABLE and HTTP 503, and the server serves again once the cause is gone', async () => {
    expect((await read()).status).toBe(200);
    // Another session holds a lock that every read of region.regions waits for.
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE region.regions IN ACCESS EXCLUSIVE MODE');
      // Ten at once over a pool of four: four statements run into statement_timeout (1.5 s), and the
      // requests that wait for a connection give up after connectionTimeoutMillis (1 s).
      const replies = await Promise.all(Array.from({ length: 10 }, () => read()));
      for (const r of replies) {
        expect(r.status).toBe(503);
        expect(new Set(r.codes)).toEqual(new Set(['SERVICE_UNAVAILABLE']));
        expect(r.ms).toBeLessThan(3000);
      }
      process.stderr.write(`faults: slow statement / exhausted pool answered 503 in ${Math.min(...replies.map((r) => r.ms))}–${Math.max(...replies.map((r) => r.ms))} ms\n`);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    const after = await read();
    expect(after.codes).toEqual([]);
    expect(after.status).toBe(200);
  });
});

describe('the database goes away under traffic and comes back', () => {
  it('answers 503 fast while it is down, recovers by itself, and loses no acknowledged write', async () => {
    const acknowledged: { regionCode: string; date: string; newConfirmed: number }[] = [];
    const replies: Reply[] = [];
    let running = true;
    // Two clients, one reading and one writing, for as long as the scenario lasts (bounded in count too).
    const traffic = async (kind: 'read' | 'write') => {
      for (let n = 0; running && n < 2000; n++) {
        if (kind === 'read') replies.push(await read());
        else {
          const { reply, report } = await write();
          replies.push(reply);
          if (reply.status === 200 && reply.body.data?.reportDailyCases?.accepted === 1) acknowledged.push(report);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const loops = Promise.all([traffic('read'), traffic('write')]);
    let toUnready = -1;
    let toReady = -1;
    let toServing = -1;
    try {
    await new Promise((r) => setTimeout(r, 1000));
    const ackedBeforeStop = acknowledged.length;
    expect(ackedBeforeStop).toBeGreaterThan(0);

    // Down.
    await fault.send('stop');
    toUnready = await until('/readyz answers 503', async () => (await readyz()) === 503, 3000);
    for (const op of [read, () => write().then((w) => w.reply)]) {
      const r = await op();
      expect(r.status).toBe(503);
      expect(r.codes).toEqual(['SERVICE_UNAVAILABLE']);
      expect(r.ms).toBeLessThan(2000);
    }
    const healthz = await fetch(`${server.url}/healthz`);
    expect(healthz.status).toBe(200); // alive: nothing to restart
    await new Promise((r) => setTimeout(r, 1000));

    // Back.
    await fault.send('start');
    toReady = await until('/readyz answers 200', async () => (await readyz()) === 200, 10_000);
    const ackedAtStart = acknowledged.length;
    toServing = await until('a write is acknowledged again', async () => acknowledged.length > ackedAtStart, 10_000);
    } finally {
      running = false;
      await loops;
    }

    process.stderr.write(
      `faults: /readyz 503 ${toUnready} ms after the stop; /readyz 200 ${toReady} ms after the start, writes acknowledged ${toServing} ms later; ` +
        `${replies.length} requests, ${replies.filter((r) => r.status === 503).length} answered 503, ${acknowledged.length} writes acknowledged\n`,
    );
    // No 500 and no other error: a request either worked or said "retry".
    const statuses = new Set(replies.map((r) => r.status));
    for (const s of statuses) expect([200, 503]).toContain(s);
    expect(new Set(replies.flatMap((r) => r.codes)).size).toBeLessThanOrEqual(1);
    for (const r of replies.filter((x) => x.status === 503)) {
      expect(r.codes).toEqual(['SERVICE_UNAVAILABLE']);
      expect(r.ms).toBeLessThan(3000);
    }
    expect(replies.some((r) => r.status === 503)).toBe(true);

    // Every acknowledged write is in the database.
    const stored = await admin(async (c) =>
      new Map(
        (
          await c.query<{ date: string; new_confirmed: number }>(
            `SELECT date::text AS date, new_confirmed FROM cases.daily_reports WHERE region_code = $1 AND new_confirmed >= 1000`,
            [county],
          )
        ).rows.map((r) => [r.date, r.new_confirmed]),
      ),
    );
    const lost = acknowledged.filter((w) => stored.get(w.date) !== w.newConfirmed);
    expect(lost).toEqual([]);
  });
});
