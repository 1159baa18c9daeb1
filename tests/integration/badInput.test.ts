import { startTestServer, type TestServer } from '../helpers/server';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const today = todayCst();

async function expectBadInput(query: string, variables: Record<string, unknown>, messagePart: RegExp, headers: Record<string, string> = {}) {
  const { body } = await server.gql(query, variables, headers);
  expect(body.errors).toBeDefined();
  const [error] = body.errors!;
  expect(error.extensions?.code).toBe('BAD_USER_INPUT');
  expect(error.message).toMatch(messagePart);
}

describe('bad input', () => {
  it('answers null without an error for a well-formed code that no region has', async () => {
    const { body } = await server.gql(`query($c: ID!) { region(code: $c) { name } }`, { c: '999999' });
    expect(body.errors).toBeUndefined();
    expect(body.data.region).toBeNull();
  });

  it.each([['abc'], ['42010'], ['4201066'], ["420106' OR 1=1 --"], ['']])('rejects the malformed code %j', async (c) => {
    await expectBadInput(`query($c: ID!) { region(code: $c) { name } }`, { c }, /six-digit/);
  });

  it.each([['2021-02-29'], ['2020-13-01'], ['yesterday'], ['2020-1-1']])('rejects the malformed date %j', async (asOf) => {
    await expectBadInput(`query($d: Date) { region(code: "420106") { risk(asOf: $d) { level } } }`, { d: asOf }, /Date/);
  });

  it('rejects a day in the future, naming today', async () => {
    await expectBadInput(`query($d: Date) { region(code: "420106") { risk(asOf: $d) { level } } }`, { d: addDays(today, 2) }, /future/);
  });

  it('rejects a range that ends before it starts, and one that is too long', async () => {
    const q = `query($f: Date!, $t: Date!) { region(code: "420106") { daily(from: $f, to: $t) { date } } }`;
    await expectBadInput(q, { f: today, t: addDays(today, -1) }, /after "to"/);
    await expectBadInput(q, { f: addDays(today, -400), t: today }, /at most 366/);
  });

  it.each([[5001], [0], [-1]])('rejects first = %d over or under the cap', async (first) => {
    await expectBadInput(`query($n: Int) { regions(first: $n) { totalCount } }`, { n: first }, /"first" must be between 1 and 5000/);
  });

  it('rejects a cursor it did not issue', async () => {
    await expectBadInput(`{ regions(after: "bm9wZQ") { totalCount } }`, {}, /cursor/);
  });

  it('rejects windows outside their bounds', async () => {
    await expectBadInput(`{ region(code: "420106") { caseSummary(days: 0) { newConfirmed } } }`, {}, /"days" must be an integer from 1 to 366/);
    await expectBadInput(`{ region(code: "420106") { importRisk(days: 30) { probability } } }`, {}, /"days" must be an integer from 7 to 14/, { authorization: 'Bearer demo-gov' });
    await expectBadInput(`{ region(code: "420106") { inflows(first: 1000) { trips } } }`, {}, /"first" must be an integer from 1 to 100/, { authorization: 'Bearer demo-gov' });
  });
});

describe('health endpoints', () => {
  it('/healthz is alive and /readyz reports the databases migrated', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { region: 'ok', cases: 'ok', mobility: 'ok', migrations: 'ok' } });
  });
});
