import { bootstrap } from './bootstrap';
import { makeApp } from './server';
import { seedIfNeeded } from './seed/onStart';
import { ConfigError } from './config';
import { describePurge, schedulePurge } from './retention';
import { connectRedis } from './cache/redisText';

/** config → database (embedded if no URL) → migrate → seed if empty → listen; stop cleanly on SIGTERM/SIGINT. */
async function main() {
  const rt = await bootstrap({ applicationName: 'changxing' });
  const { config, logger, db } = rt;
  await seedIfNeeded(rt);
  const redis = config.redisUrl ? connectRedis(config.redisUrl) : null;
  // BENCH_DISABLE_BATCHING=1 is for `npm run bench` only (the N+1 baseline).
  const app = makeApp({ config, pools: db.pools, logger, secrets: rt.secrets, redis, ...(config.benchDisableBatching ? { batch: false } : {}) });
  await app.start();
  await new Promise<void>((resolve) => app.httpServer.listen(config.port, config.host, resolve));
  logger.info({ port: config.port, host: config.host, embedded: db.embedded != null }, `changxing listening on http://localhost:${config.port}/graphql`);

  const stopPurge = schedulePurge(db.pools, config.retentionDays, (result) =>
    result instanceof Error
      ? logger.error({ err: result }, 'retention purge failed')
      : logger.info({ purge: result, retentionDays: config.retentionDays }, describePurge(result, config.retentionDays)),
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    try {
      stopPurge();
      await app.stop();
      // quit() waits for pending replies; with Redis away it times out, and closing is all that is left
      await redis?.quit().catch(() => redis.disconnect());
      await db.close();
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  const message = err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`changxing failed to start: ${message}\n`);
  process.exit(1);
});
