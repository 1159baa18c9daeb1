import { parseArgs } from 'node:util';
import { bootstrap } from '../bootstrap';
import { KEY_ROLES, KeyStore, type ApiKeyInfo } from '../../datasources/apiKeys';

const USAGE = `usage:
  npm run keys -- create --role ${KEY_ROLES.join('|')} --name "<owner>"   prints the new key once
  npm run keys -- create --role CARRIER --name "<owner>" --operator <id>   a carrier's key, for its operator id
  npm run keys -- list                                          id, role, owner, created, revoked
  npm run keys -- revoke <id>                                   stops the key (within API_KEY_CACHE_TTL_MS)`;

/** `npm run keys -- create|list|revoke`: manages API keys in the access database. */
async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { role: { type: 'string' }, name: { type: 'string' }, operator: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!['create', 'list', 'revoke'].includes(command)) throw new Error(`unknown command '${command}'\n${USAGE}`);
  if (command === 'create' && (!values.role || !values.name)) throw new Error(`create needs --role and --name\n${USAGE}`);
  if (command === 'revoke' && rest.length !== 1) throw new Error(`revoke needs exactly one key id\n${USAGE}`);

  const rt = await bootstrap({ applicationName: 'changxing-keys' });
  try {
    // keys are created and revoked by the owner: the API's role only reads them (src/db/roles.ts)
    const store = KeyStore.over((rt.db.owner ?? rt.db.pools).access);
    if (command === 'create') {
      const created = await store.create({ role: values.role!.toUpperCase(), ownerName: values.name!, operator: values.operator ?? null });
      process.stdout.write(
        `created a ${created.role} key for ${created.ownerName}${created.operator ? ` (operator ${created.operator})` : ''}\n` +
          `  id:  ${created.id}\n` +
          `  key: ${created.key}\n` +
          `The key is shown only this once (only its SHA-256 is stored): hand it over now. ` +
          `Callers send it as "Authorization: Bearer <key>".\n`,
      );
    } else if (command === 'list') {
      process.stdout.write(table(await store.list()));
    } else {
      const revoked = await store.revoke(rest[0]);
      if (!revoked) throw new Error(`no key has id ${rest[0]} (see: npm run keys -- list)`);
      process.stdout.write(
        `revoked ${revoked.role} key ${revoked.id} of ${revoked.ownerName} at ${revoked.revokedAt!.toISOString()}; ` +
          `running servers refuse it within their API_KEY_CACHE_TTL_MS\n`,
      );
    }
  } finally {
    await rt.db.close();
  }
}

function table(keys: ApiKeyInfo[]): string {
  const rows = [
    ['id', 'role', 'owner', 'created', 'revoked'],
    ...keys.map((k) => [
      k.id,
      k.operator ? `${k.role} (${k.operator})` : k.role,
      k.demo ? `${k.ownerName} (demo key)` : k.ownerName,
      k.createdAt.toISOString(),
      k.revokedAt ? k.revokedAt.toISOString() : '-',
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => displayWidth(r[c]))));
  const lines = rows.map((r) => r.map((cell, c) => cell + ' '.repeat(widths[c] - displayWidth(cell))).join('  ').trimEnd());
  return `${lines.join('\n')}\n${keys.length} key${keys.length === 1 ? '' : 's'}\n`;
}

/** Terminal columns of a string: CJK and full-width characters take two (owner names are often Chinese). */
function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return width;
}

main().catch((err) => {
  process.stderr.write(`keys failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
