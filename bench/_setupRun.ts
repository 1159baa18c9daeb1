import { openBenchDatabase } from '/work/main/bench/setup';
openBenchDatabase(console.log).then(async (d) => { console.log(d.url, d.rowCounts, d.postgresVersion); await d.close(); }, (e) => { console.error(e); process.exit(1); });
