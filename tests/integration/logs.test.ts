import { startTestServer, type TestServer } from '../helpers/server';
import { operation } from '../helpers/operations';
import { LogCapture } from '../helpers/logCapture';
import { DEMO_PEOPLE, NOBODY_ID_NUMBER } from '../../src/seed/demoPeople';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';
import { createLogger } from '../../src/logger';
import { sha256 } from '../../src/documents/manifest';

const PARTNER = { authorization: 'Bearer demo-partner' };
const GOV = { authorization: 'Bearer demo-gov' };
const HEALTH = { authorization: 'Bearer demo-health' };
const today = todayCst();
const WRONG_CHECK_DIGIT = '110105199003071238';

let server: TestServer;
const logs = new LogCapture();
const tokens: string[] = [];

beforeAll(async () => {
  server = await startTestServer({ logDestination: logs, logLevel: 'debug' });
  // Every contract operation, with the demo people as arguments wherever an operation takes a person.
  for (const person of DEMO_PEOPLE) {
    const issued = await server.gql(operation('IssuePass'), { name: person.name, idNumber: person.idNumber });
    expect(issued.body.errors).toBeUndefined();
    tokens.push(issued.body.data.issuePass.pass.token);
    await server.gql(operation('CloseContactCheck'), { name: person.name, idNumber: person.idNumber });
    const record = await server.gql(operation('PersonRecord'), { idNumber: person.idNumber }, HEALTH);
    expect(record.body.data.person.name).toBe(person.name);
    await server.gql(operation('CheckPass'), { token: issued.body.data.issuePass.pass.token }, PARTNER);
  }
  await server.gql(operation('CheckPasses'), { tokens }, PARTNER);
  await server.gql(operation('PersonRecord'), { idNumber: NOBODY_ID_NUMBER }, HEALTH);
  // Errors whose messages are about the argument must not bring it into the logs either.
  await server.gql(operation('CloseContactCheck'), { name: '王红', idNumber: WRONG_CHECK_DIGIT });
  await server.gql(operation('PersonRecord'), { idNumber: DEMO_PEOPLE[0].idNumber }, PARTNER);
  // A request id and an operation name that carry an ID number are not logged as sent.
  await server.gql(`query Q${DEMO_PEOPLE[1].idNumber} { apiInfo { version } }`, undefined, { 'x-request-id': `req-${DEMO_PEOPLE[2].idNumber}` });
  await server.gql(operation('NationalRiskMap'), {});
  await server.gql(operation('ProvinceDrilldown'), { code: '420000', from: addDays(today, -6), to: today });
  await server.gql(operation('CountyInflows'), { code: '420106', days: 7 }, GOV);
  // Ingestion with inputs that are refused (userErrors), so that the shared test data stays as seeded.
  await server.gql(operation('ReportDailyCases'), { input: [{ regionCode: '999999', date: today, newConfirmed: 1 }] }, HEALTH);
  await server.gql(operation('ReportCluster'), { input: { regionCode: '420106', detectedOn: today, size: 1 } }, HEALTH);
  await server.gql('{ apiInfo { version } }', undefined, { 'x-request-id': 'trace-0123456789' });
});
afterAll(async () => {
  await server.close();
});

describe('request logs', () => {
  it('contain none of the demo ID numbers, names, tokens or API keys', () => {
    const text = logs.text();
    expect(text.length).toBeGreaterThan(0);
    for (const person of DEMO_PEOPLE) {
      expect(text).not.toContain(person.idNumber);
      expect(text).not.toContain(person.name);
      // A name would be escaped in JSON only if pino chose to; check the \u form too.
      expect(text).not.toContain(JSON.stringify(person.name).slice(1, -1).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
    }
    expect(text).not.toContain(NOBODY_ID_NUMBER);
    expect(text).not.toContain(WRONG_CHECK_DIGIT);
    for (const token of tokens) expect(text).not.toContain(token);
    expect(text).not.toMatch(/demo-(partner|gov|health)/);
    expect(text).not.toMatch(/[0-9]{17}[0-9Xx]/);
  });

  it('have one line per request with request id, operation, role, duration, SQL count and outcome', () => {
    const requests = logs.lines().filter((l) => l.msg === 'graphql request');
    expect(requests.length).toBeGreaterThanOrEqual(4 * DEMO_PEOPLE.length + 10);
    for (const line of requests) {
      expect(line).toEqual(
        expect.objectContaining({
          requestId: expect.any(String),
          role: expect.stringMatching(/^(PUBLIC|PARTNER|GOV|HEALTH)$/),
          durationMs: expect.any(Number),
          sqlStatements: expect.any(Number),
          outcome: expect.any(String),
        }),
      );
      expect(line).not.toHaveProperty('variables');
      expect(line).not.toHaveProperty('query');
    }
    const ops = new Set(requests.map((l) => l.operation));
    for (const name of ['IssuePass', 'CloseContactCheck', 'PersonRecord', 'CheckPass', 'CheckPasses', 'NationalRiskMap', 'ProvinceDrilldown', 'CountyInflows', 'ReportDailyCases', 'ReportCluster']) {
      expect(ops).toContain(name);
    }
    // The client's request id is kept when it is a plain one, replaced when it carries an ID number.
    expect(requests.map((l) => l.requestId)).toContain('trace-0123456789');
    expect(ops).toContain('other');
  });

  it('record error codes and the role, never the error messages', () => {
    const requests = logs.lines().filter((l) => l.msg === 'graphql request');
    const badInput = requests.find((l) => l.operation === 'CloseContactCheck' && l.errors?.includes('BAD_USER_INPUT'));
    expect(badInput).toMatchObject({ role: 'PUBLIC', outcome: expect.any(String) });
    const forbidden = requests.find((l) => l.operation === 'PersonRecord' && l.role === 'PARTNER');
    expect(forbidden?.errors).toContain('FORBIDDEN');
    const nationalMap = requests.find((l) => l.operation === 'NationalRiskMap');
    expect(nationalMap).toMatchObject({ outcome: 'ok', role: 'PUBLIC' });
    expect(nationalMap!.sqlStatements).toBeGreaterThan(0);
  });

  it('redact authorization headers and variables even if someone logs them', () => {
    const capture = new LogCapture();
    const logger = createLogger('info', capture);
    logger.info({ req: { headers: { authorization: 'Bearer demo-health' } }, variables: { idNumber: DEMO_PEOPLE[0].idNumber } }, 'careless');
    logger.info({ request: { variables: { name: DEMO_PEOPLE[0].name } } }, 'careless nested');
    expect(capture.text()).not.toContain('demo-health');
    expect(capture.text()).not.toContain(DEMO_PEOPLE[0].idNumber);
    expect(capture.text()).not.toContain(DEMO_PEOPLE[0].name);
    expect(capture.lines()[0].req.headers.authorization).toBe('[redacted]');
  });
});

describe('a client mistake in the APQ protocol', () => {
  it('is a 400 with its own code and no error log line, over POST and GET', async () => {
    const before = logs.lines().length;
    const mismatch = { query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ other }') } } };
    const post = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(mismatch) });
    const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent(mismatch.query)}&extensions=${encodeURIComponent(JSON.stringify(mismatch.extensions))}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    const version = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }', extensions: { persistedQuery: { version: 2, sha256Hash: sha256('{ __typename }') } } }),
    });
    for (const [res, code] of [[post, 'PERSISTED_QUERY_HASH_MISMATCH'], [get, 'PERSISTED_QUERY_HASH_MISMATCH'], [version, 'BAD_REQUEST']] as const) {
      expect(res.status).toBe(400);
      const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(body.errors.map((e) => e.extensions.code)).toEqual([code]);
    }
    const errorLines = logs.lines().slice(before).filter((l) => l.level >= 50);
    expect(errorLines).toEqual([]);
  });
});
