import type { Router } from 'express';
import express from 'express';
import type { Pools } from '../db/pools';
import { labelledPools } from '../db/pools';
import { pendingMigrations } from '../db/migrationStatus';

/**
 * `/healthz`: the process is alive (no I/O, so a slow database never gets a live process killed).
 * `/readyz`: every datasource this process opened answers and its migrations are applied; 503
 * otherwise, so a load balancer sends no traffic to an instance that could only fail. A subgraph
 * opens only its sources (SUBGRAPH_SOURCES): a database it never reads does not make it unready.
 */
export function healthRoutes(pools: Pools, readyTimeoutMs = 2000): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    let ready = true;
    // read replicas (`cases:read`) too: a dead replica would fail every read routed to it
    await Promise.all(
      labelledPools(pools).map(async ([source, pool]) => {
        try {
          await withTimeout(pool.query('/* readyz */ SELECT 1'), readyTimeoutMs);
          checks[source] = 'ok';
        } catch {
          checks[source] = 'unreachable';
          ready = false;
        }
      }),
    );
    if (ready) {
      try {
        const pending = await withTimeout(pendingMigrations(pools), readyTimeoutMs);
        checks.migrations = pending.length === 0 ? 'ok' : `pending: ${pending.join(', ')}`;
        ready = pending.length === 0;
      } catch {
        checks.migrations = 'unknown';
        ready = false;
      }
    }
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks });
  });
  return router;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
