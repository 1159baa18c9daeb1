import http from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { FastPath } from '../../gateway/fastPath';
import { bodyLimitBytes } from '../../gateway/answers';
import { singleSubgraphOperations, supergraphSchema } from '../../gateway/singleSubgraph';
import { documentsById, readManifest } from '../../src/documents/manifest';
import { loadConfig } from '../../src/config';
import { AdmissionRefusal, type Admission } from '../../src/limits/admission';
import { CLIENT_ADDRESS_HEADER, DEADLINE_HEADER, REQUEST_CLASS_HEADER, SUBGRAPH_SECRET_HEADER, SUPERGRAPH_PATH } from '../../src/federation/names';
import type { Metrics } from '../../src/observability/metrics';
import type { KeyAuthenticator } from '../../gateway/serverModules';
import type { Viewer } from '../../src/auth/viewer';
import { operation } from '../helpers/operations';

/**
 * gateway/fastPath.ts against a scripted subgraph: what it forwards, what it relays, what it
 * answers itself (a refused turn, a subgraph down, an answer over budget) and what it hands to
 * Hive's path (here a stand-in that answers 299).
 */
const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgresql://unused@127.0.0.1:1/unused' });
const schema = supergraphSchema(readFileSync(SUPERGRAPH_PATH, 'utf8'));
const operations = singleSubgraphOperations(documentsById(readManifest()), schema, config.limits);
const PARTNER: Viewer = { role: 'PARTNER', keyId: 'k1', keyName: 'courier co', operator: null, clientId: 'key:k1' };

interface Seen {
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** The subgraph: answers each request with the next scripted answer, and keeps what it got. */
async function scriptedSubgraph(answers: { status: number; headers?: Record<string, string>; body: string }[]) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: JSON.parse(text) as Record<string, unknown> });
      const a = answers.shift() ?? { status: 500, body: 'no more answers' };
      if (a.status === 0) return; // a subgraph that never answers
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

async function gatewayWith(options: {
  subgraphUrl: string;
  classLimits?: typeof config.classLimits;
  viewer?: Viewer | Error;
  admission?: Partial<Admission>;
  limits?: Partial<typeof config.limits>;
}) {
  const observed: unknown[] = [];
  const metrics = { registry: new Registry(), observeRequest: (r: unknown) => observed.push(r) } as unknown as Metrics;
  const authenticator: KeyAuthenticator = {
    viewerFor: async () => {
      if (options.viewer instanceof Error) throw options.viewer;
      return options.viewer ?? PARTNER;
    },
  };
  const released: number[] = [];
  const admission = { admit: async () => ({ release: () => released.push(1) }), ...options.admission } as unknown as Admission;
  const fast = new FastPath({
    operations,
    supergraph: schema,
    urls: { region: options.subgraphUrl, case: options.subgraphUrl, mobility: options.subgraphUrl, person: options.subgraphUrl },
    secret: 's3cret',
    graphqlEndpoint: '/graphql',
    limits: { ...config.limits, ...options.limits },
    authenticator,
    admission,
    classLimits: options.classLimits ?? config.classLimits,
    trustProxy: () => false,
    metrics,
    logger: pino({ level: 'silent' }),
  });
  const handedOver: { body: string | null }[] = [];
  const server = http.createServer((req, res) => {
    const hive = (r: http.IncomingMessage, s: http.ServerResponse) => {
      const read = (r as http.IncomingMessage & { body?: Buffer }).body;
      handedOver.push({ body: read ? read.toString() : null });
      s.writeHead(299).end('hive');
    };
    if (!fast.handle(req, res, hive)) hive(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return {
    post: async (body: string, headers: Record<string, string> = {}) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      return { status: res.status, headers: res.headers, text: await res.text() };
    },
    handedOver,
    observed,
    released,
    metricsText: () => metrics.registry.metrics(),
    close: () => new Promise((r) => server.close(r)),
  };
}

const checkPass = JSON.stringify({ query: operation('CheckPass'), variables: { token: 'a.b.c' } });
const CLEAN = `{"data":{"checkPass":{"status":"INVALID","color":null,"holderName":null,"validUntil":null,"asOf":"2026-12-05T00:00:00.000Z"}},"extensions":{"sql":{"statements":1}}}\n`;

describe('which trusted documents take the fast path', () => {
  it('the pass checks and the self-service operations, each to the person subgraph; never a cached aggregate or an operation over several subgraphs', () => {
    const byName = new Map([...operations.values()].map((o) => [o.name, o.subgraph]));
    expect(byName.get('CheckPass')).toBe('person');
    expect(byName.get('CheckPasses')).toBe('person');
    expect(byName.get('IssuePass')).toBe('person');
    // the national map is an aggregate the response cache keeps, and spans the region and case subgraphs
    expect(byName.has('NationalRiskMap')).toBe(false);
    const spanning = singleSubgraphOperations(
      new Map([['h', 'query Spanning { region(code: "420106") { name caseSummary(from: "2026-11-01", to: "2026-11-14") { confirmed } } checkPass(token: "x") { status } }']]),
      schema,
      config.limits,
    );
    expect(spanning.size).toBe(0);
    const one = singleSubgraphOperations(new Map([['h', 'query One { checkPass(token: "x") { status } }']]), schema, config.limits);
    expect([...one.values()].map((o) => o.subgraph)).toEqual(['person']);
    // two operations in one document, a subscription, a document the gateway's own limits refuse: never
    const refused = singleSubgraphOperations(
      new Map([
        ['a', 'query A { checkPass(token: "x") { status } } query B { checkPass(token: "y") { status } }'],
        ['b', 'subscription S { riskChanged { code } }'],
        ['c', `query Deep { checkPass(token: "x") { ${'status '.repeat(1)} } ${'a: __typename '.repeat(200)} }`],
        ['d', 'query Broken { checkPass('],
      ]),
      schema,
      config.limits,
    );
    expect(refused.size).toBe(0);
  });
});

describe('the fast path', () => {
  it('forwards a check with the secret, class, deadline, address, key and request id, and sends back the answer without its extensions', async () => {
    const sub = await scriptedSubgraph([{ status: 200, body: CLEAN }]);
    const gw = await gatewayWith({ subgraphUrl: sub.url });
    try {
      const res = await gw.post(checkPass, { authorization: 'Bearer k', 'x-request-id': 'trace-12345678' });
      expect(res.status).toBe(200);
      expect(res.text).toBe(CLEAN.slice(0, CLEAN.indexOf(',"extensions"')) + '}');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('vary')).toBe('Accept, Accept-Encoding, Authorization');
      expect(res.headers.get('x-request-id')).toBe('trace-12345678');
      const [got] = sub.seen;
      expect(got.body).toEqual({ query: operation('CheckPass'), operationName: 'CheckPass', variables: { token: 'a.b.c' } });
      expect(got.headers[SUBGRAPH_SECRET_HEADER]).toBe('s3cret');
      expect(got.headers[REQUEST_CLASS_HEADER]).toBe('pass');
      expect(Number(got.headers[DEADLINE_HEADER])).toBeGreaterThan(0);
      expect(got.headers[CLIENT_ADDRESS_HEADER]).toBe('127.0.0.1');
      expect(got.headers.authorization).toBe('Bearer k');
      expect(got.headers['x-request-id']).toBe('trace-12345678');
      expect(gw.released).toHaveLength(1);
      expect(gw.observed).toEqual([expect.objectContaining({ operation: 'CheckPass', outcome: 'ok' })]);
      expect(await gw.metricsText()).toMatch(/changxing_gateway_fast_path_requests_total\{path="fast"\} 1/);
    } finally {
      await Promise.all([gw.close(), sub.close()]);
    }
  });

  it("relays a subgraph's refusal with its status and Retry-After, its errors named by subgraph as Hive names them", async () => {
    const refusal = '{"errors":[{"message":"slow down","locations":[{"line":2,"column":3}],"extensions":{"code":"RATE_LIMITED","retryAfterSeconds":7}}]}\n';
    const sub = await scriptedSubgraph([{ status: 429, headers: { 'retry-after': '7' }, body: refusal }]);
    const gw = await gatewayWith({ subgraphUrl: sub.url });
    try {
      const res = await gw.post(checkPass);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(JSON.parse(res.text)).toEqual({ errors: [{ message: 'slow down', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 7, serviceName: 'person' } }] });
      expect(gw.observed).toEqual([expect.objectContaining({ outcome: 'RATE_LIMITED' })]);
    } finally {
      await Promise.all([gw.close(), sub.close()]);
    }
  });

  it('answers a refused turn itself (no subgraph asked), and a subgraph it cannot reach with 503', async () => {
    const sub = await scriptedSubgraph([]);
    const refusing = await gatewayWith({
      subgraphUrl: sub.url,
      admission: {
        admit: async () => {
          throw new AdmissionRefusal('Too many pass checks are waiting.', 'pass', 'queue_full', 503, 'SERVICE_UNAVAILABLE', 1);
        },
      },
    });
    await sub.close();
    const unreachable = await gatewayWith({ subgraphUrl: sub.url });
    try {
      const a = await refusing.post(checkPass);
      expect([a.status, a.headers.get('retry-after')]).toEqual([503, '1']);
      expect(JSON.parse(a.text).errors[0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'queue_full', requestClass: 'pass' });
      expect(sub.seen).toHaveLength(0);
      const b = await unreachable.post(checkPass);
      expect([b.status, b.headers.get('retry-after')]).toEqual([503, '2']);
      expect(JSON.parse(b.text).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
      expect(unreachable.released).toHaveLength(1);
    } finally {
      await Promise.all([refusing.close(), unreachable.close()]);
    }
  });

  it("refuses an answer over the role's response budget, and a subgraph answer that is not GraphQL", async () => {
    const sub = await scriptedSubgraph([
      { status: 200, body: CLEAN },
      { status: 200, body: '<html>proxy error</html>' },
    ]);
    const gw = await gatewayWith({ subgraphUrl: sub.url, limits: { maxResponseBytes: { ...config.limits.maxResponseBytes, PARTNER: 40 } } });
    try {
      const over = await gw.post(checkPass);
      expect(over.status).toBe(400);
      expect(JSON.parse(over.text)).toMatchObject({ errors: [{ extensions: { code: 'RESPONSE_TOO_LARGE' } }] });
      const garbled = await gw.post(checkPass);
      expect(garbled.status).toBe(502);
    } finally {
      await Promise.all([gw.close(), sub.close()]);
    }
  });

  it("gives up on a subgraph that does not answer by the request's deadline (and a grace second): 503, the turn given back", async () => {
    const sub = await scriptedSubgraph([{ status: 0, body: '' }]);
    const gw = await gatewayWith({ subgraphUrl: sub.url, classLimits: { ...config.classLimits, pass: { ...config.classLimits.pass, deadlineMs: 50 } } });
    try {
      const started = Date.now();
      const res = await gw.post(checkPass);
      expect([res.status, res.headers.get('retry-after')]).toEqual([503, '2']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(gw.released).toHaveLength(1);
    } finally {
      await Promise.all([gw.close(), sub.close()]);
    }
  });

  it("stops reading a subgraph's answer past twice the role's budget and 64 KiB, and refuses it as over the budget", async () => {
    const huge = `{"data":{"checkPass":{"status":"${'x'.repeat(200 * 1024)}"}}}`;
    const sub = await scriptedSubgraph([{ status: 200, body: huge }]);
    const gw = await gatewayWith({ subgraphUrl: sub.url, limits: { maxResponseBytes: { ...config.limits.maxResponseBytes, PARTNER: 1_000 } } });
    try {
      const res = await gw.post(checkPass);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ errors: [{ extensions: { code: 'RESPONSE_TOO_LARGE' } }] });
    } finally {
      await Promise.all([gw.close(), sub.close()]);
    }
  });

  it("hands to Hive's path, body and all, what it does not take: a refused key, bad variables, a cost over budget, unknown documents, bad JSON", async () => {
    const sub = await scriptedSubgraph([]);
    const refusedKey = await gatewayWith({ subgraphUrl: sub.url, viewer: new Error('unknown key') });
    const poor = await gatewayWith({ subgraphUrl: sub.url, limits: { maxCost: { ...config.limits.maxCost, PARTNER: 0 } } });
    const gw = await gatewayWith({ subgraphUrl: sub.url });
    try {
      expect((await refusedKey.post(checkPass)).status).toBe(299);
      expect(refusedKey.handedOver).toEqual([{ body: checkPass }]);
      expect((await poor.post(checkPass)).status).toBe(299);
      const bodies = [
        JSON.stringify({ query: operation('CheckPass'), variables: { token: 5 } }),
        JSON.stringify({ query: operation('CheckPass') }),
        JSON.stringify({ query: '{ checkPass(token: "x") { status } }' }),
        JSON.stringify({ query: operation('CheckPass'), operationName: 'Other', variables: { token: 'x' } }),
        JSON.stringify({ query: operation('CheckPass'), variables: ['x'] }),
        JSON.stringify({ query: operation('CheckPass'), variables: { token: 'x' }, extensions: { persistedQuery: { version: 2, sha256Hash: 'x' } } }),
        JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } } }),
        '{"query":',
        '"just a string"',
      ];
      for (const body of bodies) expect((await gw.post(body)).status).toBe(299);
      expect(gw.handedOver.map((h) => h.body)).toEqual(bodies);
      // not even read: another media type, a client preferring graphql-response+json, a body over the limit, an empty one
      const notCandidates = [
        await gw.post(checkPass, { 'content-type': 'text/plain', 'apollo-require-preflight': 'true' }),
        await gw.post(checkPass, { accept: 'application/graphql-response+json' }),
        await gw.post(checkPass, { accept: 'application/json;q=0.5, application/graphql-response+json' }),
        await gw.post(JSON.stringify({ query: operation('CheckPass'), variables: { token: 'x'.repeat(bodyLimitBytes(config.limits.bodyLimit)) } })),
        await gw.post(''),
      ];
      expect(notCandidates.map((r) => r.status)).toEqual([299, 299, 299, 299, 299]);
      expect(gw.handedOver.slice(bodies.length).map((h) => h.body)).toEqual([null, null, null, null, null]);
      expect(sub.seen).toHaveLength(0);
      expect(await gw.metricsText()).toMatch(new RegExp(`changxing_gateway_fast_path_requests_total\\{path="hive"\\} ${bodies.length}`));
    } finally {
      await Promise.all([refusedKey.close(), poor.close(), gw.close(), sub.close()]);
    }
  });
});
