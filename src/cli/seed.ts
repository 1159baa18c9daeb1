import { parseArgs } from 'node:util';
import { bootstrap } from '../bootstrap';
import { seedDatabase, type Scale } from '../seed';
import { progressReporter } from './progress';

/** `npm run seed -- --scale small|medium|large [--day YYYY-MM-DD]`: replaces all data with the deterministic demo set. */
async function main() {
  const { values } = parseArgs({
    options: { scale: { type: 'string', default: 'small' }, day: { type: 'string' } },
  });
  const scale = values.scale as Scale;
  if (!['small', 'medium', 'large'].includes(scale)) {
    throw new Error(`--scale must be small, medium or large, got ${values.scale}`);
  }
  const rt = await bootstrap({ applicationName: 'changxing-seed' });
  if (rt.config.isProduction) throw new Error('Refusing to seed demo data with NODE_ENV=production');
  // bars on a terminal, plain lines in CI and logs (src/cli/progress.ts decides)
  const progress = progressReporter();
  try {
    // as the schemas' owner when the API's role is another (MIGRATION_DATABASE_USER; the embedded default)
    const summary = await seedDatabase(rt.db.owner ?? rt.db.pools, {
      scale,
      seedDay: values.day,
      idHashSecret: rt.secrets.idHashSecret,
      onProgress: progress,
    });
    progress.stop();
    process.stdout.write(`seeded ${scale}: ${JSON.stringify(summary)}\n`);
  } finally {
    progress.stop();
    await rt.db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`seed failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
