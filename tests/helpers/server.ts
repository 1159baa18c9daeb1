import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { makeApp, type App } from '../../src/server';
import { classPoolSettings, closePools, createPools, type Pools } from '../../src/db/pools';
import type { DestinationStream } from 'pino';
import { connectRedis } from '../../src/cache/redisText';
import { poolsFor } from './pools';
import { TEST_BULKHEADS } from './bulkheads';

export { TEST_BULKHEADS };
import { TEST_ID_HASH_SECRET } from './secrets';
import { generatePassSigningKey } from '../../src/pass/token';
import type { LoadSignal } from '../../src/limits/load';

/** One signing key per test process, as a server would keep one across restarts. */
export const TEST_PASS_SIGNING_KEY = generatePassSigningKey();

export interface GraphQLResponse<D = any> {
  status: number;
  body: { data?: D; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[]; extensions?: any };
}

export interface TestServer {
  url: string;
  pools: Pools;
  app: App;
  /** POSTs an operation; returns status and parsed body. */
  gql<D = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<D>>;
  close(): Promise<void>;
}

/** A real HTTP server on an ephemeral port over a test database (default: the full small seed). */
export async function startTestServer(
  options: {
    databaseUrl?: string;
    env?: Record<string, string>;
    /** Rate limits in this Redis instead of memory. */ redisUrl?: string;
    /** API key cache TTL (0: none) */ apiKeyCacheTtlMs?: number;
    /** log lines (at `logLevel`, default info) go here instead of nowhere. */ logDestination?: DestinationStream;
    logLevel?: string;
    /** the event-loop lag the bulkheads see (default: this process's, which other work on the machine moves) */
    load?: LoadSignal;
    /** faults: pool settings as in production (default: the test pools of tests/helpers/pools.ts). */
    pool?: { max?: number; connectionTimeoutMs?: number; statementTimeoutMs?: number };
  } = {},
): Promise<TestServer> {
  const url = testDatabaseUrl(options.databaseUrl);
  const config = testConfig(url, options.env);
  const pools = options.pool
    ? createPools({
        urls: { region: url, cases: url, mobility: url, access: url },
        max: options.pool.max ?? 8,
        statementTimeoutMs: options.pool.statementTimeoutMs ?? 30000,
        connectionTimeoutMs: options.pool.connectionTimeoutMs,
        // the request classes' pools as a deployment makes them from its configuration (src/db/index.ts)
        classes: classPoolSettings(options.pool.max ?? 8, options.pool.statementTimeoutMs ?? 30000, config.classLimits),
        applicationName: 'changxing-test',
      })
    : poolsFor(url, 8);
  const logger = options.logDestination ? createLogger(options.logLevel ?? 'info', options.logDestination) : createLogger('silent');
  const secrets = { idHashSecret: TEST_ID_HASH_SECRET, passSigningKey: TEST_PASS_SIGNING_KEY };
  // the client main.ts makes, so that a Redis outage behaves here as in a deployment
  const redis = options.redisUrl ? connectRedis(options.redisUrl) : null;
  const app = makeApp({ config, pools, logger, apiKeyCacheTtlMs: options.apiKeyCacheTtlMs, secrets, redis, ...(options.load ? { load: options.load } : {}) });
  await app.start();
  await new Promise<void>((resolve) => app.httpServer.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(app.httpServer.address() as AddressInfo).port}`;
  return {
    url: base,
    pools,
    app,
    gql: (query, variables, headers) => postGraphQL(base, query, variables, headers),
    async close() {
      await app.stop();
      // not quit(): with Redis unreachable it waits for a reply that never comes
      redis?.disconnect();
      await closePools(pools);
    },
  };
}

export function testDatabaseUrl(given?: string): string {
  const url = given ?? process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run through jest (tests/helpers/globalSetup.ts)');
  return url;
}


/** The test servers' configuration (also the federated stack's: tests/helpers/federation.ts). */
export function testConfig(url: string, env: Record<string, string> = {}): Config {
  // Self-service limits are raised unless a test sets them: most tests look up several demo people.
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: url,
    LOG_LEVEL: 'silent',
    SELF_SERVICE_MAX_IDS_PER_DAY: '10000',
    SELF_SERVICE_RATE_PER_MINUTE: '100000',
    ...TEST_BULKHEADS,
    // most suites send ad-hoc documents as PARTNER (field rules); trustedDocuments.test.ts turns this on.
    TRUSTED_DOCUMENTS_ROLES: '',
    ...env,
  });
}

/** POSTs an operation to `${base}/graphql`; returns status and parsed body. */
export async function postGraphQL<D = any>(base: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GraphQLResponse<D>> {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as GraphQLResponse['body'] };
}

/**
 * Two servers over the same seed: every county (`full`) and 50 counties (`fifty`), for suites that
 * show SQL round trips do not grow with the data.
 */
export async function startFullAndFifty(): Promise<{ full: TestServer; fifty: TestServer }> {
  const [full, fifty] = await Promise.all([startTestServer(), startTestServer({ databaseUrl: process.env.TEST_DATABASE_URL_50 })]);
  return { full, fifty };
}
