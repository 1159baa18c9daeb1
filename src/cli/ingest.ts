import { parseArgs } from 'node:util';
import { progressReporter } from './progress';
import { uploadFile } from './uploadClient';

const USAGE = `usage:
  npm run ingest -- flows|stays FILE [--url http://localhost:4000] [--key KEY] [--partial]
FILE is .csv, .ndjson or .jsonl, optionally gzipped (.gz); the key (or CHANGXING_API_KEY) is a CARRIER key.`;

/**
 * `npm run ingest -- flows FILE`: uploads a carrier's file to a running server (POST /ingest/flows
 * or /ingest/stays, docs/ingestion.md) with a progress bar of the bytes sent, then prints the job.
 * Exits 1 when the upload is refused.
 */
async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { url: { type: 'string' }, key: { type: 'string' }, partial: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  const [kind, file] = positionals;
  if (values.help || !kind) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (kind !== 'flows' && kind !== 'stays') throw new Error(`the first argument is flows or stays, got '${kind}'\n${USAGE}`);
  if (!file || positionals.length !== 2) throw new Error(`name exactly one file\n${USAGE}`);
  const key = values.key ?? process.env.CHANGXING_API_KEY;
  if (!key) throw new Error(`pass --key or set CHANGXING_API_KEY to a CARRIER key (outside production: demo-carrier)\n${USAGE}`);
  const url = values.url ?? `http://localhost:${process.env.PORT ?? 4000}`;

  const progress = progressReporter();
  const started = Date.now();
  let answer;
  try {
    answer = await uploadFile({ url, key, kind, path: file, partial: values.partial, onProgress: (sent, total) => progress({ phase: `upload ${kind}`, done: sent, total }) });
  } finally {
    progress.stop();
  }
  const { job, errors } = answer.body;
  if (job) {
    process.stdout.write(
      `job ${String(job.id)}: ${String(job.status)} in ${((Date.now() - started) / 1000).toFixed(1)} s — ` +
        `${String(job.rowsReceived)} rows read, ${String(job.rowsApplied)} applied, ${String(job.rowsReplaced)} replaced` +
        `${Array.isArray(job.dates) && job.dates.length > 0 ? ` (${job.dates[0]}…${job.dates[job.dates.length - 1]})` : ''}\n`,
    );
    for (const e of job.errors ?? []) process.stdout.write(`  row ${e.row ?? '-'} ${e.column ?? ''}: ${e.message}\n`);
    if (Number(job.errorCount) > (job.errors?.length ?? 0)) process.stdout.write(`  … ${Number(job.errorCount) - (job.errors?.length ?? 0)} more\n`);
  }
  if (answer.status !== 200) throw new Error(`HTTP ${answer.status}: ${errors?.[0]?.message ?? 'refused'}`);
}

main().catch((err) => {
  process.stderr.write(`ingest failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
