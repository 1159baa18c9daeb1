import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { bootstrap } from '../bootstrap';
import { SqlRecorder } from '../db/sql';
import { createSources } from '../../datasources';
import { AuditLog } from '../../services/audit';
import { RegionChangeService } from '../../services/regionChanges';
import { MAX_CSV_ROWS, parseRegionChangesCsv } from '../reporting/regionChangesCsv';

const USAGE = `usage:
  npm run regions -- import FILE.csv   applies a GB/T 2260 change list (docs/reporting.md), all or nothing`;

/**
 * `npm run regions -- import FILE`: civil affairs' change list from a CSV file, applied by the same
 * service and rules as `applyRegionChanges`, in one transaction for the whole file, audited as an
 * operator's action (role HEALTH, no API key; the detail names the file).
 */
async function main() {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  const [command, file, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command !== 'import' || !file || rest.length > 0) throw new Error(`expected: import FILE\n${USAGE}`);
  const parsed = parseRegionChangesCsv(readFileSync(file, 'utf8'));
  if (parsed.errors.length > 0) throw new Error(`${file}: nothing applied\n  ${parsed.errors.join('\n  ')}`);

  const rt = await bootstrap({ applicationName: 'changxing-regions' });
  try {
    const recorder = new SqlRecorder();
    const viewer = { role: 'HEALTH' as const, keyId: null, keyName: 'npm run regions', operator: null, clientId: 'cli' };
    const sources = createSources(rt.db.pools, recorder);
    const audit = new AuditLog(sources.audit, viewer, randomUUID());
    const service = new RegionChangeService(sources.regionChanges, sources.cases, audit);
    const result = await service.apply(parsed.changes, { max: MAX_CSV_ROWS, via: `imported from ${path.basename(file)} by npm run regions` });
    if (result.userErrors.length > 0) {
      const lines = result.userErrors.map((e) => {
        const index = e.field?.[0] === 'input' ? Number(e.field[1]) : NaN;
        return `${Number.isNaN(index) ? '' : `line ${parsed.lines[index]}: `}${e.field?.slice(2).join('.') ?? ''}: ${e.message}`;
      });
      throw new Error(`${file}: nothing applied\n  ${lines.join('\n  ')}`);
    }
    process.stdout.write(`${file}: ${result.accepted} changes, ${result.accepted - result.unchanged} applied, ${result.unchanged} already applied\n`);
  } finally {
    await rt.db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`regions failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
