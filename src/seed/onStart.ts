import type { Runtime } from '../bootstrap';
import { todayCst } from '../clock';
import { CaseSource } from '../../datasources/case';
import { Sql, SqlRecorder } from '../../datasources/sql';
import { seedDatabase } from '.';
import { progressReporter } from '../cli/progress';

/**
 * Outside production, a fresh database gets the demo data so that `npm start` shows a live map.
 * SEED_ON_START=auto also re-seeds when the demo epidemic ended before today (it is laid out
 * relative to its seed day, so stale demo data would show everything LOW); `never` keeps any data.
 */
export async function seedIfNeeded({ config, secrets, logger, db }: Runtime): Promise<void> {
  if (config.seedOnStart === 'never') return;
  const cases = new CaseSource(new Sql(db.pools.cases, 'cases', new SqlRecorder()));
  const latest = await cases.latestReportDate();
  const today = todayCst();
  const reason =
    config.seedOnStart === 'always' ? 'SEED_ON_START=always' : latest == null ? 'the database is empty' : latest < today ? `the demo data ends on ${latest}` : null;
  if (!reason) return;
  logger.info({ scale: config.seedScale, reason }, 'seeding demo data');
  const summary = await seedDatabase(db.pools, {
    scale: config.seedScale,
    idHashSecret: secrets.idHashSecret,
    onProgress: progressReporter(),
  });
  logger.info({ summary }, 'demo data seeded');
}
