import { startFederatedStack, subgraphFetches, type FederatedStack } from '../helpers/federation';
import { startTestServer, type TestServer } from '../helpers/server';
import { readFileSync } from 'node:fs';
import { contractOperations, contractVariables, operation } from '../helpers/operations';
import { singleSubgraphOperations, supergraphSchema } from '../../gateway/singleSubgraph';
import { documentsById, readManifest, sha256 } from '../../src/documents/manifest';
import { SUPERGRAPH_PATH } from '../../src/federation/names';
import { loadConfig } from '../../src/config';
import { DEMO_KEYS } from '../../datasources/apiKeys';
import { DEMO_PEOPLE } from '../../src/seed/demoPeople';

/**
 * gateway/fastPath.ts: trusted operations that one subgraph answers whole (pass checks, self-service)
 * are forwarded past Hive's pipeline. Two gateways over the same subgraphs' database, the fast path
 * on and off: every request is answered alike by both, and the fast one took the path it should.
 */
let single: TestServer;
let fast: FederatedStack;
let hive: FederatedStack;
const tokens: string[] = [];

beforeAll(async () => {
  [single, fast, hive] = await Promise.all([
    startTestServer(),
    startFederatedStack(undefined, { gatewayEnv: { LOG_LEVEL: 'info' } }),
    startFederatedStack(undefined, { gatewayEnv: { GATEWAY_FAST_PATH: 'off' } }),
  ]);
  for (const p of DEMO_PEOPLE.slice(0, 3)) {
    const issued = await single.gql(operation('IssuePass'), { name: p.name, idNumber: p.idNumber });
    tokens.push(issued.body.data.issuePass.pass.token);
  }
}, 90000);
afterAll(async () => {
  await Promise.all([single?.close(), fast?.close(), hive?.close()]);
});

const PARTNER = { authorization: 'Bearer demo-partner' };
const testLimits = loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgresql://unused@127.0.0.1:1/unused' }).limits;

interface Raw {
  status: number;
  headers: Record<string, string | null>;
  body: string;
}

/** A POST as sent, the answer as received (decoded), with the headers a client acts on. */
async function post(stack: FederatedStack, body: string, headers: Record<string, string> = {}): Promise<Raw> {
  const res = await fetch(`${stack.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const picked: Record<string, string | null> = {};
  for (const name of ['content-type', 'cache-control', 'vary', 'content-encoding', 'retry-after', 'www-authenticate']) picked[name] = res.headers.get(name);
  picked['x-request-id'] = res.headers.get('x-request-id') === null ? null : 'present';
  return { status: res.status, headers: picked, body: await res.text() };
}

/**
 * The answer as sent, but the check times (`asOf`), which differ between any two answers, and the
 * stack traces of errors outside production (each path's subgraph runs its own executor: a trusted
 * document's compiled plan, or graphql-js for Hive's rewritten document).
 */
function comparable(raw: Raw) {
  const body = JSON.stringify(JSON.parse(raw.body, (key, value: unknown) => (key === 'asOf' ? '<now>' : key === 'stacktrace' ? undefined : value)));
  return { status: raw.status, headers: raw.headers, body };
}

async function fastCount(stack: FederatedStack, path: 'fast' | 'hive'): Promise<number> {
  const m = new RegExp(`^changxing_gateway_fast_path_requests_total\\{path="${path}"\\} (\\d+)$`, 'm').exec(await stack.metrics());
  return m ? Number(m[1]) : 0;
}

describe('the gateway fast path', () => {
  it('forwards pass checks to the person subgraph alone and answers them as Hive does, byte for byte but the check time', async () => {
    const checkPass = (token: string) => JSON.stringify({ query: operation('CheckPass'), variables: { token } });
    const cases: [string, string, Record<string, string>][] = [
      ['a valid pass', checkPass(tokens[0]), PARTNER],
      ['a forged token', checkPass('eyJ.eyJ.sig'), PARTNER],
      ['a batch with repeats and a bad token', JSON.stringify({ query: operation('CheckPasses'), variables: { tokens: [tokens[0], 'x', tokens[1], tokens[0]] } }), PARTNER],
      ['a batch large enough to compress', JSON.stringify({ query: operation('CheckPasses'), variables: { tokens: [...tokens, ...tokens, ...tokens] } }), { ...PARTNER, 'accept-encoding': 'gzip, br' }],
      ['its APQ hash alone', JSON.stringify({ variables: { token: tokens[1] }, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(operation('CheckPass')) } } }), PARTNER],
      ['with its operation name and Accept: application/json', JSON.stringify({ query: operation('CheckPass'), operationName: 'CheckPass', variables: { token: tokens[2] } }), { ...PARTNER, accept: 'application/json' }],
      ['a GOV key (the field is PARTNER-only)', checkPass(tokens[0]), { authorization: 'Bearer demo-gov' }],
      ['no key', checkPass(tokens[0]), {}],
      ['a batch over the resolver\'s 1,000', JSON.stringify({ query: operation('CheckPasses'), variables: { tokens: Array.from({ length: 1001 }, () => 'x') } }), { ...PARTNER, 'accept-encoding': 'gzip' }],
    ];
    const fetchesBefore = await subgraphFetches(fast);
    const fastBefore = await fastCount(fast, 'fast');
    for (const [what, body, headers] of cases) {
      const [a, b] = [await post(hive, body, headers), await post(fast, body, headers)];
      expect({ what, ...comparable(b) }).toEqual({ what, ...comparable(a) });
      expect(b.headers['x-request-id']).toBe('present');
    }
    expect(await fastCount(fast, 'fast')).toBe(fastBefore + cases.length);
    // one subgraph fetch per request, counted in Hive's series as Hive counts its own
    expect(await subgraphFetches(fast)).toBe(fetchesBefore + cases.length);
    expect(await fastCount(hive, 'fast')).toBe(0);
  });

  it('hands every request it does not take to Hive, answered there as before', async () => {
    const cases: [string, string, Record<string, string>][] = [
      ['a token of the wrong type', JSON.stringify({ query: operation('CheckPass'), variables: { token: 5 } }), PARTNER],
      ['a missing variable', JSON.stringify({ query: operation('CheckPass') }), PARTNER],
      ['an unknown key', JSON.stringify({ query: operation('CheckPass'), variables: { token: tokens[0] } }), { authorization: 'Bearer nope' }],
      ['another operation name', JSON.stringify({ query: operation('CheckPass'), operationName: 'Other', variables: { token: tokens[0] } }), PARTNER],
      ['a wrong APQ hash', JSON.stringify({ query: operation('CheckPass'), variables: { token: tokens[0] }, extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } } }), PARTNER],
      ['a document not trusted', JSON.stringify({ query: `${operation('CheckPass')} `, variables: { token: tokens[0] } }), PARTNER],
      ['an array body', JSON.stringify([{ query: operation('CheckPass'), variables: { token: tokens[0] } }]), PARTNER],
      ['not JSON', '{"query": ', PARTNER],
      ['an unknown body field', JSON.stringify({ query: operation('CheckPass'), variables: { token: tokens[0] }, extra: 1 }), PARTNER],
    ];
    const fastBefore = await fastCount(fast, 'fast');
    const hiveBefore = await fastCount(fast, 'hive');
    for (const [what, body, headers] of cases) {
      const [a, b] = [await post(hive, body, headers), await post(fast, body, headers)];
      expect({ what, ...comparable(b) }).toEqual({ what, ...comparable(a) });
    }
    expect(await fastCount(fast, 'fast')).toBe(fastBefore);
    expect(await fastCount(fast, 'hive')).toBe(hiveBefore + cases.length);
    // asking for application/graphql-response+json never reads the body here: not even a candidate
    const typed = { ...PARTNER, accept: 'application/graphql-response+json' };
    const body = JSON.stringify({ query: operation('CheckPass'), variables: { token: tokens[0] } });
    const [a, b] = [await post(hive, body, typed), await post(fast, body, typed)];
    expect(comparable(b)).toEqual(comparable(a));
    expect(b.headers['content-type']).toContain('application/graphql-response+json');
    expect(await fastCount(fast, 'hive')).toBe(hiveBefore + cases.length);
  });

  it('answers every contract query it takes alike on both paths, for every role and every set of contract variables', async () => {
    // the contract's queries that the gateway forwards whole (mutations write: IssuePass has its own test below)
    const contract = contractOperations();
    const taken = [...singleSubgraphOperations(documentsById(readManifest()), supergraphSchema(readFileSync(SUPERGRAPH_PATH, 'utf8')), testLimits).values()];
    const names = taken.filter((o) => o.operation.operation === 'query' && o.name !== null && contract.has(o.name)).map((o) => o.name!);
    // the pass checks and self-service (person), a carrier's upload jobs (mobility)
    expect(names).toEqual(expect.arrayContaining(['CheckPass', 'CheckPasses', 'CloseContactCheck', 'IngestJob', 'IngestJobs']));
    const before = await fastCount(fast, 'fast');
    const roles = [{}, PARTNER, { authorization: 'Bearer demo-gov' }, { authorization: 'Bearer demo-health' }, { authorization: `Bearer ${DEMO_KEYS.CARRIER}` }];
    let sent = 0;
    for (const name of names) {
      for (const variables of contractVariables(name, tokens)) {
        for (const headers of roles) {
          const body = JSON.stringify({ query: operation(name), variables });
          const [a, b] = [await post(hive, body, headers), await post(fast, body, headers)];
          expect({ name, variables, sent: headers, ...comparable(b) }).toEqual({ name, variables, sent: headers, ...comparable(a) });
          sent++;
        }
      }
    }
    // every one of them took the fast path (a key the gateway refuses would have gone to Hive)
    expect(await fastCount(fast, 'fast')).toBe(before + sent);
  });

  it('issues a pass (a self-service mutation) through the fast path, and the pass it issued checks VALID there', async () => {
    const p = DEMO_PEOPLE[DEMO_PEOPLE.length - 1];
    const before = await fastCount(fast, 'fast');
    const issued = await post(fast, JSON.stringify({ query: operation('IssuePass'), variables: { name: p.name, idNumber: p.idNumber } }));
    expect(issued.status).toBe(200);
    const token = (JSON.parse(issued.body) as { data: { issuePass: { pass: { token: string } } } }).data.issuePass.pass.token;
    const checked = await post(fast, JSON.stringify({ query: operation('CheckPass'), variables: { token } }), PARTNER);
    expect(JSON.parse(checked.body).data.checkPass.status).toBe('VALID');
    expect(await fastCount(fast, 'fast')).toBe(before + 2);
  });

  it('logs a fast request as Hive-path requests are logged: request id, role, operation, outcome', async () => {
    const requestId = `fast-${Date.now()}-log`;
    const res = await post(fast, JSON.stringify({ query: operation('CheckPass'), variables: { token: tokens[0] } }), { ...PARTNER, 'x-request-id': requestId });
    expect(res.status).toBe(200);
    // the subgraph audited the check under the client's request id
    const { rows } = await single.pools.access.query<{ n: number }>(`SELECT count(*)::int AS n FROM access.audit_log WHERE request_id = $1 AND operation = 'checkPass'`, [requestId]);
    expect(rows[0].n).toBe(1);
    const line = fast.logLines().find((l) => l.requestId === requestId);
    expect(line).toMatchObject({ msg: 'graphql request', role: 'PARTNER', operation: 'CheckPass', outcome: 'ok', sqlStatements: expect.any(Number) });
  });
});
