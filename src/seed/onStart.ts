import type { Runtime } from '../bootstrap';
import { todayCst } from '../clock';
import { CaseSource } from '../../datasources/case';
import { Sql, SqlRecorder } from '../db/sql';
import { seedDatabase } from '.';
import { progressReporter } from '../cli/progress';
import { MigrationLockTimeout } from '../db/migrate';

/** The advisory lock (on the cases database) held while an instance decides on and loads the demo seed. */
const SEED_LOCK = 7241865325824064;

/**
 * Outside production, a fresh database gets the demo data so that `npm start` shows a live map.
 * SEED_ON_START=auto also re-seeds when the demo epidemic ended before today (it is laid out
 * relative to its seed day, so stale demo data would show everything LOW); `never` keeps any data.
 *
 * Instances started together on one empty database would each seed it: the decision and the seed
 * are taken under an advisory lock, so the first seeds and the others, once it is done, find the
 * data current (waiting at most MIGRATION_LOCK_TIMEOUT_MS).
 */
export async function seedIfNeeded({ config, secrets, logger, db }: Runtime): Promise<void> {
  if (config.seedOnStart === 'never') return;
  const bound = config.migrationLockTimeoutMs;
  // the seed replaces whole tables: the owner's work, not the API role's (src/db/roles.ts)
  const pools = db.owner ?? db.pools;
  const lock = await pools.cases.connect();
  try {
    await lock.query(`/* seed.lock */ SET lock_timeout = ${bound}; SET statement_timeout = ${bound}`);
    await lock.query('/* seed.lock */ SELECT pg_advisory_lock($1)', [SEED_LOCK]).catch((err: { code?: string; message: string }) => {
      if (err.code !== '55P03' && err.code !== '57014') throw err;
      throw new MigrationLockTimeout(`Another instance has been loading the demo seed into this database for more than ${bound} ms (MIGRATION_LOCK_TIMEOUT_MS): start again once it is done. (${err.message})`);
    });
    try {
      const cases = new CaseSource(new Sql(pools.cases, 'cases', new SqlRecorder()));
      const latest = await cases.latestReportDate();
      const today = todayCst();
      const reason =
        config.seedOnStart === 'always' ? 'SEED_ON_START=always' : latest == null ? 'the database is empty' : latest < today ? `the demo data ends on ${latest}` : null;
      if (!reason) return;
      logger.info({ scale: config.seedScale, reason }, 'seeding demo data');
      const summary = await seedDatabase(pools, {
        scale: config.seedScale,
        idHashSecret: secrets.idHashSecret,
        onProgress: progressReporter(),
      });
      logger.info({ summary }, 'demo data seeded');
    } finally {
      await lock.query('/* seed.lock */ SELECT pg_advisory_unlock($1)', [SEED_LOCK]);
    }
  } finally {
    const reset = await lock.query('/* seed.lock */ RESET lock_timeout; RESET statement_timeout').then(() => true, () => false);
    lock.release(!reset);
  }
}
