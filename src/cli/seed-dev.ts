// Throwaway runner for developing the seed (deleted before hand-over).
import { closePools, createPools } from '../db/pools';
import { seedDatabase, type Scale } from '../seed';

async function main() {
  const url = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/seed_dev';
  const pools = createPools({ urls: { region: url, cases: url, mobility: url }, max: 4, statementTimeoutMs: 5000, applicationName: 'seed-dev' });
  let last = '';
  const summary = await seedDatabase(pools, {
    scale: (process.argv[2] ?? 'small') as Scale,
    idHashSecret: 'dev-secret',
    seedDay: process.argv[3],
    limitCounties: process.argv[4] ? Number(process.argv[4]) : undefined,
    onProgress: (p) => {
      const line = `${p.phase} ${p.done}/${p.total}`;
      if (p.done === p.total || p.phase !== last) console.log(`${(performance.now() / 1000).toFixed(1)}s ${line}`);
      last = p.phase;
    },
  });
  console.log(summary);
  await closePools(pools);
}
main().catch((e) => { console.error(e); process.exit(1); });
