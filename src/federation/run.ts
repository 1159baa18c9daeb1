import { spawn, type ChildProcess } from 'node:child_process';
import { bootstrap, type Runtime } from '../bootstrap';
import { entryPointCommand } from '../paths';
import { exitWithStartFailure, handleProcessFaults, listen, onShutdownSignal } from '../startup';
import { seedIfNeeded } from '../seed/onStart';
import type { App } from '../server';
import type Redis from 'ioredis';
import { connectRedis } from '../cache/redisText';
import { openedSources, restrictPools, SOURCES } from '../db/pools';
import { makeSubgraphApp } from './subgraphServer';
import { FederationConfigError, parseSubgraphName, sourcesOf, subgraphHost, subgraphPort, subgraphSecret, SUBGRAPH_NAMES, SUBGRAPH_SOURCES, type SubgraphName } from './names';

/**
 * Starts subgraphs over one runtime, each on SUBGRAPH_HOST (127.0.0.1 by default; they answer the
 * gateway only). Each sees
 * only the pools of its row of SUBGRAPH_SOURCES, also when the process opened more (--all), so
 * that a resolver reaching outside its row fails here as it would in a process of its own.
 */
async function serveSubgraphs(rt: Runtime, names: readonly SubgraphName[], secret: string, redis: Redis | null): Promise<App[]> {
  const apps: App[] = [];
  const host = subgraphHost();
  for (const name of names) {
    const pools = restrictPools(rt.db.pools, SUBGRAPH_SOURCES[name]);
    // REDIS_URL: the person subgraph's self-service limits (and every subgraph's APQ store) are shared
    // and outlive a restart, as on `npm start`; without it they were in memory, reset by each restart.
    const app = makeSubgraphApp(name, { config: rt.config, pools, logger: rt.logger.child({ subgraph: name }), secrets: rt.secrets, secret, redis });
    await app.start();
    const port = subgraphPort(name);
    await listen(app.httpServer, port, host);
    rt.logger.info({ subgraph: name, port, host }, `subgraph ${name} listening on http://${host}:${port}/graphql`);
    apps.push(app);
  }
  return apps;
}

/**
 * The Hive gateway as a child process (gateway/main.ts), on PORT; resolves once it listens. It
 * authenticates API keys itself, so it gets the access database's URL as ACCESS_DATABASE_URL, and
 * reads the case data version for its response cache, so the case database's as CASE_DATABASE_URL:
 * the configured ones, or the embedded cluster's, which is in no variable of this process. The rest of
 * the environment (REDIS_URL, SUBGRAPH_SECRET, trusted documents, limits) passes through as is.
 */
function startGateway(rt: Runtime): Promise<ChildProcess> {
  // BENCH_CPU_PROF=<dir> (bench/server.ts): the gateway writes a V8 CPU profile there too when it exits.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // the heap limit of `npm run start:federated` (HEAP_LIMIT_MB) applies to the gateway's process too
  const heapLimit = process.execArgv.filter((a) => a.startsWith('--max-old-space-size'));
  const child = spawn(process.execPath, [...heapLimit, ...profile, ...entryPointCommand('gateway/main').args], {
    env: { ...process.env, PORT: String(rt.config.port), HOST: rt.config.host, DATA_DIR: rt.config.dataDir, ACCESS_DATABASE_URL: rt.db.urls.access, CASE_DATABASE_URL: rt.db.urls.cases },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      if (chunk.toString().includes('"gateway listening"')) resolve(child);
    });
  });
}

/**
 * `npm run start:subgraph -- <name>` serves one subgraph over the databases of its sources only
 * (SUBGRAPH_SOURCES); `npm run start:federated` serves all four and the gateway (one migrated,
 * seeded database: the embedded one when DATABASE_URL is unset).
 */
async function main(argv: string[]) {
  const federated = argv[0] === '--all';
  const names = federated ? SUBGRAPH_NAMES : [parseSubgraphName(argv[0])];
  const rt = await bootstrap({ applicationName: federated ? 'changxing-federated' : `changxing-${names[0]}`, sources: sourcesOf(names) });
  // The demo seed writes every source; a process that opened fewer leaves it to `npm run seed`.
  if (openedSources(rt.db.pools).length === SOURCES.length) await seedIfNeeded(rt);
  else rt.logger.info({ sources: openedSources(rt.db.pools) }, 'demo seed skipped: this subgraph does not open every source (npm run seed)');
  // from here on only the API's role, which owns no table (docs/operations.md, "Database roles")
  await rt.db.closeOwner();
  const secret = subgraphSecret(rt.config);
  const redis = rt.config.redisUrl ? connectRedis(rt.config.redisUrl) : null;
  const apps = await serveSubgraphs(rt, names, secret, redis);
  const gateway = federated ? await startGateway(rt) : null;
  if (gateway) rt.logger.info({ port: rt.config.port }, `changxing gateway listening on http://localhost:${rt.config.port}/graphql`);

  let exitCode = 0;
  const shutdown = onShutdownSignal(rt.config.shutdownGraceMs, async (reason) => {
    rt.logger.info({ reason }, 'shutting down');
    gateway?.removeAllListeners('exit');
    gateway?.kill('SIGTERM');
    await Promise.all(apps.map((a) => a.stop()));
    // quit() waits for pending replies; with Redis away it times out, and closing is all that is left
    await redis?.quit().catch(() => redis.disconnect());
    await rt.db.close();
    process.exit(exitCode);
  });
  // as npm start's (src/startup.ts): a rejection is logged and counted, an uncaught exception stops with 1
  handleProcessFaults(rt.logger, (reason) => {
    exitCode = 1;
    shutdown(reason);
  });
  // A gateway or an embedded PostgreSQL that stops under us takes the whole deployment down with it.
  gateway?.once('exit', (code, signal) => shutdown(`the gateway exited (${code ?? signal})`));
  rt.db.embedded?.onUnexpectedStop((reason) => shutdown(`embedded PostgreSQL: ${reason}`));
}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof FederationConfigError) {
    process.stderr.write(`changxing federation failed to start: ${err.message}\n`);
    process.exit(1);
  }
  exitWithStartFailure('changxing federation')(err);
});
