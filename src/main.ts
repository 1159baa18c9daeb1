import cluster from 'node:cluster';
import { getHeapStatistics } from 'node:v8';
import { bootstrap } from './bootstrap';
import { loadConfig } from './config';
import { makeApp } from './server';
import { seedIfNeeded } from './seed/onStart';
import { describePurge, schedulePurge } from './retention';
import { connectRedis } from './cache/redisText';
import { exitWithStartFailure, handleProcessFaults, listen, onShutdownSignal, yieldCpuToPassChecks } from './startup';
import { superviseWorkers, workerCount, workerDatabaseEnv, workerIndex } from './workers';

/**
 * config → database (embedded if no URL) → migrate → seed if empty → listen; stop cleanly on
 * SIGTERM/SIGINT. With WORKERS > 1 this process is the primary of node:cluster workers that each
 * listen (src/workers.ts, docs/scaling.md).
 */
async function main() {
  const workers = workerCount(loadConfig().workers);
  if (cluster.isPrimary && workers > 1) await supervise(workers);
  else await serve();
}

/** The primary: migrations and the demo seed once, then the workers, kept running until a signal. */
async function supervise(count: number) {
  const rt = await bootstrap({ applicationName: 'changxing-primary' });
  const { config, logger, db } = rt;
  let stopOnFault: (reason: string) => void = () => process.exit(1);
  handleProcessFaults(logger, (reason) => stopOnFault(reason));
  await seedIfNeeded(rt);
  await db.closeOwner();
  let exitCode = 0;
  const supervisor = superviseWorkers(count, workerDatabaseEnv(rt), logger, (reason) => stopOnFault(reason));
  logger.info({ workers: count, port: config.port, host: config.host }, `changxing: ${count} workers on http://localhost:${config.port}/graphql`);
  // the workers drain within SHUTDOWN_GRACE_MS each; the primary waits for them, and a second more
  const shutdown = onShutdownSignal(config.shutdownGraceMs + 2000, async (reason) => {
    logger.info({ reason }, 'shutting down: stopping the workers');
    await supervisor.stop(config.shutdownGraceMs);
    await db.close();
    logger.info('stopped');
    process.exit(exitCode);
  });
  stopOnFault = (reason) => {
    exitCode = 1;
    logger.error({ reason }, 'stopping');
    shutdown(reason);
  };
  db.embedded?.onUnexpectedStop((reason) => stopOnFault(`embedded PostgreSQL: ${reason}`));
}

/** One server: this process alone, or one worker of the primary above (which has migrated and seeded). */
async function serve() {
  const rt = await bootstrap({ applicationName: 'changxing', migrate: cluster.isPrimary });
  const { config, logger, db } = rt;
  // an uncaught exception before the shutdown below exists: nothing is served yet, exit at once
  let stopOnFault: (reason: string) => void = () => process.exit(1);
  handleProcessFaults(logger, (reason) => stopOnFault(reason));
  if (cluster.isPrimary) await seedIfNeeded(rt);
  // from here on the server holds only the API's role, which owns no table (docs/operations.md, "Database roles")
  await db.closeOwner();
  const redis = config.redisUrl ? connectRedis(config.redisUrl) : null;
  // BENCH_DISABLE_BATCHING=1 is for `npm run bench` only (the N+1 baseline).
  const app = makeApp({ config, pools: db.pools, logger, secrets: rt.secrets, redis, ...(config.benchDisableBatching ? { batch: false } : {}) });
  await app.start();
  await listen(app.httpServer, config.port, config.host);
  if (config.passChecks === 'elsewhere') yieldCpuToPassChecks(logger);
  const worker = workerIndex();
  logger.info(
    // heapLimitMb: V8's limit (npm start's --max-old-space-size, HEAP_LIMIT_MB, plus the young generation)
    { port: config.port, host: config.host, embedded: db.embedded != null, node: process.version, heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20), ...(worker === null ? {} : { worker }) },
    `changxing listening on http://localhost:${config.port}/graphql`,
  );

  // one purge schedule per deployment's process group: the single process, or worker 0
  const stopPurge =
    worker === null || worker === 0
      ? schedulePurge(db.pools, config.retentionDays, (result) =>
          result instanceof Error
            ? logger.error({ err: result }, 'retention purge failed')
            : logger.info({ purge: result, retentionDays: config.retentionDays }, describePurge(result, config.retentionDays)),
        )
      : () => {};

  // The embedded PostgreSQL stopping under us (a signal sent to it, a crash) stops the server too:
  // serving only errors would look alive to a process manager that should restart the whole.
  let exitCode = 0;
  const shutdown = onShutdownSignal(
    config.shutdownGraceMs,
    async (reason) => {
      logger.info({ reason }, 'shutting down: no new connections, finishing in-flight requests');
      try {
        stopPurge();
        await app.stop();
        // quit() waits for pending replies; with Redis away it times out, and closing is all that is left
        await redis?.quit().catch(() => redis.disconnect());
        await db.close();
        logger.info('stopped');
        process.exit(exitCode);
      } catch (err) {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      }
    },
    () => logger.error('graceful shutdown timed out; exiting'),
  );
  stopOnFault = (reason) => {
    exitCode = 1;
    shutdown(reason);
  };
  db.embedded?.onUnexpectedStop((reason) => {
    if (!reason.includes('shutdown request')) exitCode = 1;
    logger.warn({ reason }, 'the embedded PostgreSQL stopped');
    shutdown(`embedded PostgreSQL: ${reason}`);
  });
  // a worker whose primary is gone (killed with SIGKILL) stops too, rather than serve unsupervised
  if (cluster.isWorker) process.on('disconnect', () => stopOnFault('the primary process is gone'));
}

main().catch(exitWithStartFailure('changxing'));
