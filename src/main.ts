import { getHeapStatistics } from 'node:v8';
import { bootstrap } from './bootstrap';
import { makeApp } from './server';
import { seedIfNeeded } from './seed/onStart';
import { describePurge, schedulePurge } from './retention';
import { connectRedis } from './cache/redisText';
import { exitWithStartFailure, handleProcessFaults, listen, onShutdownSignal } from './startup';

/** config → database (embedded if no URL) → migrate → seed if empty → listen; stop cleanly on SIGTERM/SIGINT. */
async function main() {
  const rt = await bootstrap({ applicationName: 'changxing' });
  const { config, logger, db } = rt;
  // an uncaught exception before the shutdown below exists: nothing is served yet, exit at once
  let stopOnFault: (reason: string) => void = () => process.exit(1);
  handleProcessFaults(logger, (reason) => stopOnFault(reason));
  await seedIfNeeded(rt);
  // from here on the server holds only the API's role, which owns no table (docs/operations.md, "Database roles")
  await db.closeOwner();
  const redis = config.redisUrl ? connectRedis(config.redisUrl) : null;
  // BENCH_DISABLE_BATCHING=1 is for `npm run bench` only (the N+1 baseline).
  const app = makeApp({ config, pools: db.pools, logger, secrets: rt.secrets, redis, ...(config.benchDisableBatching ? { batch: false } : {}) });
  await app.start();
  await listen(app.httpServer, config.port, config.host);
  logger.info(
    // heapLimitMb: V8's limit (npm start's --max-old-space-size, HEAP_LIMIT_MB, plus the young generation)
    { port: config.port, host: config.host, embedded: db.embedded != null, node: process.version, heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20) },
    `changxing listening on http://localhost:${config.port}/graphql`,
  );

  const stopPurge = schedulePurge(db.pools, config.retentionDays, (result) =>
    result instanceof Error
      ? logger.error({ err: result }, 'retention purge failed')
      : logger.info({ purge: result, retentionDays: config.retentionDays }, describePurge(result, config.retentionDays)),
  );

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
}

main().catch(exitWithStartFailure('changxing'));
