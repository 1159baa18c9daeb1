import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { loadSecrets } from '../secrets';
import { createLogger } from '../logger';
import { openDatabaseCluster, type DatabaseCluster } from '../db/cluster';
import { closePools, createPools } from '../db/pools';
import { migrateAll } from '../db/migrate';
import { seedDatabase } from '../seed';
import { makeTimeline, type Scale } from '../seed/timeline';
import { todayCst } from '../clock';
import { seriesFromDatabase } from '../backtest/fromDatabase';
import { BACKTEST_DEFINITIONS, replay } from '../backtest/replay';
import { FORECAST_PARAMETERS, IMPORT_FORECAST_MODEL } from '../risk/forecast';
import { progressReporter } from './progress';

/** The backtest's own database on whichever cluster is configured, so it never touches the app's data. */
const DATABASE = 'changxing_backtest';

/**
 * `npm run backtest -- --scale small|medium [--day YYYY-MM-DD] [--keep]`: seeds the simulated
 * epidemic into a fresh database (`changxing_backtest`, dropped and re-created on the server in
 * DATABASE_URL, or on the embedded PostgreSQL when it is unset), reads it back in a few bulk
 * statements, replays it day by day and prints the scores; the LAST line of stdout is one JSON object.
 */
async function main() {
  const started = performance.now();
  const { values } = parseArgs({ options: { scale: { type: 'string', default: 'small' }, day: { type: 'string' }, keep: { type: 'boolean', default: false } } });
  const scale = values.scale as Scale;
  if (!['small', 'medium', 'large'].includes(scale)) throw new Error(`--scale must be small, medium or large, got ${values.scale}`);
  const seedDay = values.day ?? todayCst();
  const config = loadConfig();
  if (config.isProduction) throw new Error('Refusing to run the backtest with NODE_ENV=production');
  const secrets = loadSecrets(config);
  const progress = progressReporter();
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const cluster = await openCluster(config.databaseUrls?.cases ?? null, { dataDir: config.dataDir, port: config.embeddedPgPort, password: secrets.embeddedPgPassword });
  const url = await cluster.createDatabase(DATABASE);
  log(`backtest database: ${DATABASE} (${cluster.kind})`);
  const pools = createPools({ urls: { region: url, cases: url, mobility: url, access: url }, max: 4, statementTimeoutMs: 600_000, applicationName: 'changxing-backtest' });
  try {
    await migrateAll(pools);
    const seeded = await seedDatabase(pools, { scale, seedDay, idHashSecret: secrets.idHashSecret, onProgress: progress });
    log(`seeded ${scale} in ${(seeded.ms / 1000).toFixed(1)} s: ${seeded.counties} counties, ${seeded.days} days, ${seeded.flows} flows`);
    const timeline = makeTimeline(scale, seedDay);
    const read = performance.now();
    const { series, pressure, statements } = await seriesFromDatabase(pools, timeline.dates[0], seedDay);
    log(`read back in ${statements} statements, ${((performance.now() - read) / 1000).toFixed(1)} s`);
    const result = replay(series, pressure, { onDay: (done, total) => progress({ phase: 'replay days', done, total }) });
    // Ablation: the same model with κ re-fitted every day from resolved forecasts (docs/model.md explains why it is not shipped).
    const adaptive = replay(series, pressure, { selfCalibrate: true, onDay: (done, total) => progress({ phase: 'replay, self-calibrated κ', done, total }) });
    const kappas = adaptive.importSeedRates.map((k) => k.importSeedRate);

    const out = (line = '') => process.stdout.write(`${line}\n`);
    const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
    out(`\n${IMPORT_FORECAST_MODEL} backtest, scale ${scale}, seed day ${seedDay}`);
    out(`days ${result.firstDay}…${result.lastDay} (${result.days}), ${result.counties} counties, ${result.predictions} predictions, ${result.positives} positive (${pct(result.positives / result.predictions)})`);
    out(`question: will a county with no new confirmed case in the ${BACKTEST_DEFINITIONS.quietDays} days up to day t report one in t+1…t+${BACKTEST_DEFINITIONS.horizonDays}?`);
    out('');
    out('                     model     baseline (local counts only)');
    out(`ROC AUC              ${result.model.auc.toFixed(3)}     ${result.baseline.auc.toFixed(3)}`);
    out(`precision at top 50  ${result.model.precisionAt50.toFixed(3)}     ${result.baseline.precisionAt50.toFixed(3)}`);
    out(`Brier score          ${result.model.brier.toFixed(4)}    ${result.baseline.brier.toFixed(4)}`);
    out('');
    out(`ablation, κ re-fitted daily (range ${Math.min(...kappas).toFixed(3)}…${Math.max(...kappas).toFixed(3)}): AUC ${adaptive.model.auc.toFixed(3)}, precision@50 ${adaptive.model.precisionAt50.toFixed(3)}, Brier ${adaptive.model.brier.toFixed(4)}`);
    out('');
    out('calibration (deciles of predicted probability): mean predicted → observed rate');
    result.model.calibration.forEach((b, i) => {
      const base = result.baseline.calibration[i];
      out(`  ${String(i + 1).padStart(2)}  model ${b.meanPredicted.toFixed(4)} → ${b.observedRate.toFixed(4)}   baseline ${base ? `${base.meanPredicted.toFixed(4)} → ${base.observedRate.toFixed(4)}` : '-'}`);
    });
    out('');
    out('reliability (fixed bands of predicted probability): predictions, mean predicted → observed rate');
    for (const [name, scores] of [['model', result.model], ['baseline', result.baseline]] as const) {
      for (const b of scores.reliability) {
        out(`  ${name.padEnd(8)} [${b.minPredicted.toFixed(4)}, ${b.maxPredicted.toFixed(4)}]  n ${String(b.n).padStart(7)}  ${b.meanPredicted.toFixed(4)} → ${b.observedRate.toFixed(4)}`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    out(
      JSON.stringify({
        model: IMPORT_FORECAST_MODEL,
        scale,
        seedDay,
        auc: round(result.model.auc),
        baselineAuc: round(result.baseline.auc),
        precisionAt50: round(result.model.precisionAt50),
        baselinePrecisionAt50: round(result.baseline.precisionAt50),
        brier: round(result.model.brier),
        baselineBrier: round(result.baseline.brier),
        calibration: result.model.calibration.map((b) => ({ n: b.n, predicted: round(b.meanPredicted), observed: round(b.observedRate) })),
        baselineCalibration: result.baseline.calibration.map((b) => ({ n: b.n, predicted: round(b.meanPredicted), observed: round(b.observedRate) })),
        reliability: result.model.reliability.map((b) => ({ n: b.n, predicted: round(b.meanPredicted), observed: round(b.observedRate) })),
        selfCalibrated: { auc: round(adaptive.model.auc), precisionAt50: round(adaptive.model.precisionAt50), brier: round(adaptive.model.brier) },
        days: result.days,
        firstDay: result.firstDay,
        lastDay: result.lastDay,
        counties: result.counties,
        predictions: result.predictions,
        positives: result.positives,
        definitions: BACKTEST_DEFINITIONS,
        parameters: FORECAST_PARAMETERS,
        seconds: Math.round(seconds * 10) / 10,
      }),
    );
  } finally {
    await closePools(pools);
    if (!values.keep) await cluster.dropDatabase(DATABASE).catch((err) => log(`could not drop ${DATABASE}: ${String(err)}`));
    await cluster.stop();
  }
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** The configured server (through its URL) or the embedded one: where the backtest database lives. */
async function openCluster(adminUrl: string | null, embeddedOptions: { dataDir: string; port: number; password: string }): Promise<DatabaseCluster> {
  try {
    // The embedded cluster's log lines go to stderr: stdout ends with the result's JSON line.
    return await openDatabaseCluster(adminUrl, { ...embeddedOptions, logger: createLogger('warn', process.stderr) });
  } catch (err) {
    if (adminUrl) throw err;
    // Most often the embedded cluster is already running under `npm start` on the same data directory.
    throw new Error(
      `could not start the embedded PostgreSQL in ${embeddedOptions.dataDir} (${err instanceof Error ? err.message : String(err)}); ` +
        'stop the server that uses it, or set DATABASE_URL to a PostgreSQL server (the backtest creates its own database there)',
    );
  }
}

main().catch((err) => {
  process.stderr.write(`backtest failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
