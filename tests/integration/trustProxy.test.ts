import { startTestServer, type GraphQLResponse, type TestServer } from '../helpers/server';
import { startFederatedStack, type FederatedStack } from '../helpers/federation';
import { operation } from '../helpers/operations';
import { DEMO_PEOPLE, NOBODY_ID_NUMBER } from '../../src/seed/demoPeople';

/**
 * TRUST_PROXY (src/http/clientAddress.ts): behind a load balancer, PUBLIC self-service lookups are
 * limited per caller named in X-Forwarded-For by a trusted proxy; without it the header is ignored,
 * so a caller cannot pick a fresh rate-limit bucket per request. Same on `npm start` and the gateway.
 */
const LIMITS = { SELF_SERVICE_MAX_IDS_PER_DAY: '3', SELF_SERVICE_RATE_PER_MINUTE: '100' };
const check = (i: number) => (i < DEMO_PEOPLE.length ? { name: DEMO_PEOPLE[i].name, idNumber: DEMO_PEOPLE[i].idNumber } : { name: '王红', idNumber: NOBODY_ID_NUMBER });
const codes = (res: GraphQLResponse) => (res.body.errors ?? []).map((e) => e.extensions?.code);
type Ask = (i: number, forwardedFor: string) => Promise<GraphQLResponse>;

/** 3 ID numbers for one forwarded caller, the 4th refused, and another forwarded caller with its own count. */
async function expectLimitPerForwardedCaller(ask: Ask) {
  for (const i of [0, 1, 2]) expect(codes(await ask(i, '198.51.100.1'))).toEqual([]);
  const fourth = await ask(3, '198.51.100.1');
  expect([fourth.status, codes(fourth)]).toEqual([429, ['RATE_LIMITED']]);
  expect(codes(await ask(3, '198.51.100.2'))).toEqual([]);
}

/** IPv6 callers count by /64: three addresses of one /64 share 3 ID numbers, the next /64 has its own. */
async function expectLimitPerIpv6Network(ask: Ask) {
  for (const [i, from] of ['2001:db8:64:1::1', '2001:db8:64:1::2', '2001:db8:64:1:ffff::3'].entries()) expect(codes(await ask(i, from))).toEqual([]);
  const fourth = await ask(3, '2001:db8:64:1:abcd::4');
  expect([fourth.status, codes(fourth)]).toEqual([429, ['RATE_LIMITED']]);
  expect(codes(await ask(3, '2001:db8:64:2::1'))).toEqual([]);
}

describe('npm start', () => {
  let trusting: TestServer;
  let plain: TestServer;
  beforeAll(async () => {
    [trusting, plain] = await Promise.all([startTestServer({ env: { ...LIMITS, TRUST_PROXY: 'loopback' } }), startTestServer({ env: LIMITS })]);
  });
  afterAll(async () => {
    await Promise.all([trusting.close(), plain.close()]);
  });

  it('with TRUST_PROXY=loopback limits each caller named in X-Forwarded-For', async () => {
    await expectLimitPerForwardedCaller((i, from) => trusting.gql(operation('CloseContactCheck'), check(i), { 'x-forwarded-for': from }));
  });

  it('counts IPv6 callers by /64', async () => {
    await expectLimitPerIpv6Network((i, from) => trusting.gql(operation('CloseContactCheck'), check(i), { 'x-forwarded-for': from }));
  });

  it('without TRUST_PROXY ignores X-Forwarded-For: a new header value per request does not reset the count', async () => {
    for (const i of [0, 1, 2]) expect(codes(await plain.gql(operation('CloseContactCheck'), check(i), { 'x-forwarded-for': `203.0.113.${i}` }))).toEqual([]);
    const fourth = await plain.gql(operation('CloseContactCheck'), check(3), { 'x-forwarded-for': '203.0.113.99' });
    expect(codes(fourth)).toEqual(['RATE_LIMITED']);
  });
});

describe('the gateway', () => {
  let federated: FederatedStack;
  beforeAll(async () => {
    federated = await startFederatedStack(undefined, { env: { ...LIMITS, TRUST_PROXY: 'loopback' } });
  });
  afterAll(async () => {
    await federated.close();
  });

  it('with TRUST_PROXY=loopback forwards the caller named in X-Forwarded-For to the subgraphs', async () => {
    await expectLimitPerForwardedCaller((i, from) => federated.gql(operation('CloseContactCheck'), check(i), { 'x-forwarded-for': from }));
  });

  it('counts IPv6 callers by /64 (the person subgraph groups the forwarded address)', async () => {
    await expectLimitPerIpv6Network((i, from) => federated.gql(operation('CloseContactCheck'), check(i), { 'x-forwarded-for': from }));
  });
});
