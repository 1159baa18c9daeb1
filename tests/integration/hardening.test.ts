import net from 'node:net';
import { startTestServer, type TestServer } from '../helpers/server';
import { startFederatedStack, type FederatedStack } from '../helpers/federation';
import { generatePassSigningKey } from '../../src/pass/token';
import { TEST_ID_HASH_SECRET } from '../helpers/secrets';

/**
 * Defects of issue 15 (6a, 6g): what a production server tells a stranger about the schema, and how
 * long a slow client may hold a connection, on `npm start`, a subgraph and the gateway.
 */

const SLOW = { HTTP_HEADERS_TIMEOUT_MS: '500', HTTP_REQUEST_TIMEOUT_MS: '1000' };
let prod: TestServer;
let stack: FederatedStack;

beforeAll(async () => {
  [prod, stack] = await Promise.all([
    startTestServer({ env: { NODE_ENV: 'production', ID_HASH_SECRET: TEST_ID_HASH_SECRET, PASS_SIGNING_KEY: generatePassSigningKey(), ...SLOW } }),
    // the gateway in production; the subgraphs as in development (the gateway answers validation itself)
    startFederatedStack(undefined, { env: SLOW, gatewayEnv: { NODE_ENV: 'production' } }),
  ]);
}, 90_000);
afterAll(async () => {
  await Promise.all([prod?.close(), stack?.close()]);
});

describe('in production, errors suggest no names of the schema', () => {
  // every row has its variables: jest takes a missing last value for a `done` callback
  const cases: [string, string, Record<string, unknown>][] = [
    // `person` is HEALTH-only: "Did you mean "person"?" would name it to anyone
    ['an unknown root field', '{ persn(idNumber: "x") { id } }', {}],
    ['an unknown argument', '{ regions(levl: COUNTY, first: 1) { totalCount } }', {}],
    ['an unknown enum value in the document', '{ regions(level: COUNTRY, first: 1) { totalCount } }', {}],
    // variable coercion happens at execution, after Apollo's validation-only suggestion filter
    ['an unknown enum value in a variable', 'query($l: RegionLevel) { regions(level: $l, first: 1) { totalCount } }', { l: 'COUNTRY' }],
  ];
  it.each(cases)('%s: on npm start and at the gateway', async (_name, query, variables) => {
    for (const answer of [await prod.gql(query, variables), await stack.gql(query, variables)]) {
      expect(answer.body.errors?.length).toBeGreaterThan(0);
      for (const error of answer.body.errors!) expect(error.message).not.toMatch(/Did you mean/);
    }
  });

  it('while a development server still suggests (a subgraph of the stack, NODE_ENV unset)', async () => {
    const direct = await fetch(stack.subgraphUrls.region, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-subgraph-secret': stack.secret },
      body: JSON.stringify({ query: '{ regons(first: 1) { totalCount } }' }),
    });
    expect(((await direct.json()) as any).errors[0].message).toMatch(/Did you mean "regions".*\?$/);
  });
});

/** Opens a connection, sends `text` and nothing more; resolves with what the server answered once it closed. */
function stall(url: string, text: string): Promise<{ answer: string; closed: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    // a guard far above the configured 1 s, so that a server without the bound is reported, not hung on
    const guard = setTimeout(() => {
      socket.destroy();
      resolve({ answer, closed: false });
    }, 15_000);
    socket.on('close', () => {
      clearTimeout(guard);
      resolve({ answer, closed: true });
    });
    socket.on('error', () => undefined);
  });
}

describe('a client that sends its request slowly is cut off', () => {
  const start = (extra: string) => `POST /graphql HTTP/1.1\r\nHost: x\r\n${extra}`;
  it.each([
    ['npm start', () => prod.url, ''],
    // a subgraph refuses /graphql without the gateway's secret at once: this slow client has it
    ['a subgraph', () => stack.subgraphUrls.case, 'secret'],
    ['the gateway', () => stack.url, ''],
  ])('by %s: a body that stops coming, and headers that stop coming, are answered 408 and closed', async (_name, url, secret) => {
    const head = start(secret ? `x-subgraph-secret: ${stack.secret}\r\n` : '');
    const body = `${head}content-type: application/json\r\ncontent-length: 1000\r\n\r\n{"query": "{ __typename`;
    const headers = `${head}content-type: appl`;
    const [slowBody, slowHeaders] = await Promise.all([stall(url(), body), stall(url(), headers)]);
    for (const r of [slowBody, slowHeaders]) {
      expect(r.closed).toBe(true);
      expect(r.answer).toMatch(/^HTTP\/1\.1 408 /);
    }
  });
});
