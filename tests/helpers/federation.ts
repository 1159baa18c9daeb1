import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createLogger } from '../../src/logger';
import { classPoolSettings, closePools, createPools, restrictPools, type Pools } from '../../src/db/pools';
import type { App } from '../../src/server';
import type { Config } from '../../src/config';
import { makeSubgraphApp } from '../../src/federation/subgraphServer';
import { SUBGRAPH_NAMES, SUBGRAPH_SOURCES, type SubgraphName } from '../../src/federation/names';
import type { LoadSignal } from '../../src/limits/load';
import { poolsFor } from './pools';
import { TEST_ID_HASH_SECRET } from './secrets';
import { postGraphQL, testConfig, testDatabaseUrl, TEST_BULKHEADS, TEST_PASS_SIGNING_KEY, type GraphQLResponse } from './server';

export interface FederatedStack {
  /** The gateway's base URL. */
  url: string;
  /** Each subgraph's /graphql URL (127.0.0.1). */
  subgraphUrls: Record<SubgraphName, string>;
  secret: string;
  gql<D = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<D>>;
  /** The gateway's Prometheus text (its per-subgraph fetch counts). */
  metrics(): Promise<string>;
  /** The gateway's JSON log lines so far (at LOG_LEVEL, silent unless the suite sets it). */
  logLines(): Record<string, unknown>[];
  close(): Promise<void>;
}

/**
 * One subgraph in this process on 127.0.0.1 (a free port), with the test servers' secrets, over
 * its row of the source matrix only (docs/federation.md): the other sources refuse every statement.
 */
export async function startTestSubgraph(
  name: SubgraphName,
  { config, pools, secret, load }: { config: Config; pools: Pools; secret: string; load?: LoadSignal },
): Promise<{ app: App; port: number }> {
  const app = makeSubgraphApp(name, {
    ...(load ? { load } : {}),
    config,
    pools: restrictPools(pools, SUBGRAPH_SOURCES[name]),
    logger: createLogger('silent'),
    secrets: { idHashSecret: TEST_ID_HASH_SECRET, passSigningKey: TEST_PASS_SIGNING_KEY },
    secret,
  });
  await app.start();
  await new Promise<void>((resolve) => app.httpServer.listen(0, '127.0.0.1', resolve));
  return { app, port: (app.httpServer.address() as AddressInfo).port };
}

/**
 * The four subgraphs in this process over one test database, with the settings of
 * startTestServer, and the Hive gateway as a child process (gateway/main.ts under tsx: the
 * gateway's packages are kept out of the server's type program and jest's module graph).
 */
export async function startFederatedStack(
  givenUrl?: string,
  options: {
    env?: Record<string, string>;
    /** the gateway's only (e.g. NODE_ENV=production) */ gatewayEnv?: Record<string, string>;
    /** pools as a deployment makes them from the configuration (PG_POOL_MAX, the classes' deadlines), instead of the test pools */
    pgPoolMax?: number;
    /** the event-loop lag the subgraphs' bulkheads see (they run in this process) */
    load?: LoadSignal;
  } = {},
): Promise<FederatedStack> {
  const databaseUrl = testDatabaseUrl(givenUrl);
  const config = testConfig(databaseUrl, options.env);
  const secret = randomBytes(32).toString('base64url');
  const pools: Pools =
    options.pgPoolMax === undefined
      ? poolsFor(databaseUrl, 8)
      : createPools({
          urls: { region: databaseUrl, cases: databaseUrl, mobility: databaseUrl, access: databaseUrl },
          max: options.pgPoolMax,
          statementTimeoutMs: config.pgStatementTimeoutMs,
          connectionTimeoutMs: config.pgConnectionTimeoutMs,
          classes: classPoolSettings(options.pgPoolMax, config.pgStatementTimeoutMs, config.classLimits),
          applicationName: 'changxing-test',
        });
  const apps: App[] = [];
  const subgraphUrls = {} as Record<SubgraphName, string>;
  // The gateway reads npm start's variables itself (gateway/config.ts): the key database, and the
  // test servers' settings that it enforces (trusted documents are off unless a suite sets them).
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    SUBGRAPH_SECRET: secret,
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    TRUSTED_DOCUMENTS_ROLES: config.trustedDocuments.roles.join(','),
    ...TEST_BULKHEADS,
    ...options.env,
    ...options.gatewayEnv,
  };
  for (const name of SUBGRAPH_NAMES) {
    const { app, port } = await startTestSubgraph(name, { config, pools, secret, ...(options.load ? { load: options.load } : {}) });
    subgraphUrls[name] = `http://127.0.0.1:${port}/graphql`;
    env[`${name.toUpperCase()}_SUBGRAPH_PORT`] = String(port);
    apps.push(app);
  }
  const stopSubgraphs = async () => {
    for (const app of apps) await app.stop();
    await closePools(pools);
  };
  const { child, port, stdout } = await spawnGateway(env).catch(async (err) => {
    await stopSubgraphs();
    throw err;
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    subgraphUrls,
    secret,
    gql: (query, variables, headers) => postGraphQL(url, query, variables, headers),
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    logLines: () =>
      stdout()
        .split('\n')
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return []; // Hive's own lines are text
          }
        }),
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await stopSubgraphs();
    },
  };
}

function spawnGateway(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number; stdout: () => string }> {
  const root = path.resolve(__dirname, '../..');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'gateway/main.ts')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start within 30 s: ${stderr}`)), 30000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}: ${stderr}`));
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = /\{"msg":"gateway listening","port":(\d+)\}/.exec(out);
      if (line) {
        clearTimeout(timer);
        resolve({ child, port: Number(line[1]), stdout: () => out });
      }
    });
  });
}

/** Subgraph fetches the gateway made so far (its Prometheus counter of outgoing calls). */
export async function subgraphFetches(stack: FederatedStack): Promise<number> {
  let total = 0;
  for (const m of (await stack.metrics()).matchAll(/^graphql_gateway_fetch_duration_count\{[^}]*\} (\d+)$/gm)) total += Number(m[1]);
  return total;
}

/**
 * POSTs an operation to `${base}/graphql` from the local address `from` (any of 127.0.0.0/8 on
 * Linux): callers the gateway must tell apart by address, as it tells apart clients on the internet.
 */
export function postGraphQLFrom<D = any>(from: string, base: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GraphQLResponse<D>> {
  const body = JSON.stringify({ query, variables });
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}/graphql`,
      { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * SQL statements each subgraph has sent so far (the `changxing_graphql_sql_statements` histogram's
 * sum on its own /metrics, the key lookups included), by subgraph.
 */
export async function subgraphSqlStatements(stack: FederatedStack): Promise<Record<SubgraphName, number>> {
  const counts = {} as Record<SubgraphName, number>;
  for (const name of SUBGRAPH_NAMES) {
    const text = await (await fetch(new URL('/metrics', stack.subgraphUrls[name]))).text();
    counts[name] = [...text.matchAll(/^changxing_graphql_sql_statements_sum(?:\{[^}]*\})? (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  }
  return counts;
}
