import http from 'node:http';
import autocannon from 'autocannon';
import { sha256 } from '../src/documents/manifest';

/**
 * Issue 18, "on the wire": what each workload's answer weighs with and without compression, the
 * national map as a conditional GET (the 304 a dashboard reload with nothing new costs), the cached
 * map compressed at 8 connections (measureWire, while the single server runs), and the same through
 * the gateway with its response cache (measureGatewayCached, while the federated stack runs with
 * GATEWAY_RESPONSE_CACHE=on; docs/http-caching.md). Each adds its fields to the workloads it is given.
 */
export interface WireBench {
  /** The single server's base URL. */
  single: string;
  /** Each workload's GraphQL body and the headers its caller sends (API keys). */
  bodies: Record<string, { body: { query: string; variables: object }; headers?: Record<string, string> }>;
  /** bench/run.ts's results by workload; W1's fields go under it. */
  workloads: Record<string, Record<string, unknown>>;
  seconds: number;
  log: (line: string) => void;
}

const COMPRESSED = 'br, gzip';

/** Bytes per workload, W1 cached and compressed at 8 connections, W1 as a conditional GET: on the single server. */
export async function measureWire({ single, bodies, workloads, seconds, log }: WireBench): Promise<void> {
  log('wire: bytes of each answer, plain and with Accept-Encoding: br, gzip');
  for (const [name, { body, headers = {} }] of Object.entries(bodies)) {
    const text = JSON.stringify(body);
    const plain = await post(`${single}/graphql`, text, headers);
    const compressed = await post(`${single}/graphql`, text, { ...headers, 'accept-encoding': COMPRESSED });
    workloads[name] ??= {};
    workloads[name].wireBytes = plain.bytes;
    workloads[name].wireBytesCompressed = compressed.bytes;
    workloads[name].wireEncoding = compressed.encoding ?? 'identity';
  }
  const W1 = bodies.W1.body;
  workloads.W1 ??= {};
  // the stored brotli is made at the first compressed hit, on the thread pool: let it finish
  await new Promise((r) => setTimeout(r, 3000));

  log('W1 cached, compressed (Accept-Encoding: br, gzip), 8 connections');
  workloads.W1.compressed = await load({ url: `${single}/graphql`, method: 'POST', body: JSON.stringify(W1), headers: { 'content-type': 'application/json', 'accept-encoding': COMPRESSED }, connections: 8, seconds });

  log('W1 as a conditional GET by hash (If-None-Match), 8 connections');
  const path = `/graphql?extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(W1.query) } }))}`;
  const getHeaders = { 'apollo-require-preflight': 'true', 'accept-encoding': COMPRESSED };
  const first = await request(`${single}${path}`, 'GET', undefined, getHeaders);
  const etag = first.headers.etag;
  if (typeof etag !== 'string') throw new Error(`W1 over GET: no ETag (HTTP ${first.status})`);
  workloads.W1.notModified = {
    ...(await load({ url: `${single}${path}`, method: 'GET', headers: { ...getHeaders, 'if-none-match': etag }, connections: 8, seconds, expect: 304 })),
    etag,
    cacheControl: first.headers['cache-control'] ?? null,
  };

}

/**
 * W1 through the gateway with its answer cache on (GATEWAY_RESPONSE_CACHE=on), warm, compressed, at
 * 8 connections: `W1.gateway.cached`, with its ratio to the single server's W1 compressed.
 */
export async function measureGatewayCached({ gateway, W1, workloads, seconds, log }: { gateway: string; W1: { query: string; variables: object }; workloads: WireBench['workloads']; seconds: number; log: (line: string) => void }): Promise<void> {
  log('W1 through the gateway, its response cache warm, compressed, 8 connections');
  for (let i = 0; i < 3; i++) await post(`${gateway}/graphql`, JSON.stringify(W1), { 'accept-encoding': COMPRESSED });
  await new Promise((r) => setTimeout(r, 3000));
  const gatewayCached = await load({ url: `${gateway}/graphql`, method: 'POST', body: JSON.stringify(W1), headers: { 'content-type': 'application/json', 'accept-encoding': COMPRESSED }, connections: 8, seconds });
  workloads.W1 ??= {};
  const singleRps = (workloads.W1.compressed as { rps: number } | undefined)?.rps;
  const gatewayEntry = (workloads.W1.gateway ??= {}) as Record<string, unknown>;
  gatewayEntry.cached = { ...gatewayCached, vsSingleCompressedRps: singleRps ? Math.round((gatewayCached.rps / singleRps) * 100) / 100 : null };
}

interface Loaded {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers without the expected status (200, or 304 for the conditional GET), errors and timeouts. */
  errors: number;
  requests: number;
  /** Bytes received per answer on average (headers included). */
  bytesPerAnswer: number;
  connections: number;
  seconds: number;
}

async function load(o: { url: string; method: 'GET' | 'POST'; body?: string; headers: Record<string, string>; connections: number; seconds: number; expect?: number }): Promise<Loaded> {
  let unexpected = 0;
  const expected = o.expect ?? 200;
  const r = await new Promise<autocannon.Result>((resolve, reject) =>
    autocannon(
      {
        url: o.url,
        connections: o.connections,
        duration: o.seconds,
        timeout: 30,
        requests: [{ method: o.method, headers: o.headers, ...(o.body ? { body: o.body } : {}), onResponse: (status) => void (status !== expected && unexpected++) }],
      },
      (err, done) => (err ? reject(err) : resolve(done)),
    ),
  );
  return {
    rps: Math.round(r.requests.average * 10) / 10,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors + r.timeouts + unexpected,
    requests: r.requests.total,
    bytesPerAnswer: r.requests.total ? Math.round(r.throughput.total / r.requests.total) : 0,
    connections: o.connections,
    seconds: o.seconds,
  };
}

/** Attempts per answer measured: a server still shedding after the previous workload's burst says when to come back. */
const SHED_ATTEMPTS = 5;

async function post(url: string, body: string, headers: Record<string, string>): Promise<{ bytes: number; encoding: string | undefined }> {
  for (let attempt = 1; ; attempt++) {
    const answer = await request(url, 'POST', body, { 'content-type': 'application/json', ...headers });
    if (answer.status === 200) return { bytes: answer.bytes, encoding: answer.headers['content-encoding'] };
    // a 503 with Retry-After is load shedding (the loop still busy from the last burst): this step
    // measures bytes, so it waits as told and asks again; any other answer is a failure of the run
    const retryAfter = Number(answer.headers['retry-after']);
    if (answer.status !== 503 || !(retryAfter >= 0) || attempt === SHED_ATTEMPTS) {
      throw new Error(`${url}: HTTP ${answer.status} to ${body.slice(0, 120)}: ${answer.text.slice(0, 300)}`);
    }
    await new Promise((r) => setTimeout(r, Math.max(1, retryAfter) * 1000));
  }
}

/** One request with node:http: no Accept-Encoding unless given, the body's bytes counted as received. */
function request(url: string, method: string, body: string | undefined, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; bytes: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let bytes = 0;
      // the start of the body, for an error's message (a refusal is small and never compressed)
      let text = '';
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (text.length < 300) text += c.toString('latin1');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
