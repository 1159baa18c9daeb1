import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Config } from './config';

/** Secrets the server needs. In production they come from the environment (config refuses to start without them). */
export interface Secrets {
  idHashSecret: string;
  /** PKCS#8 PEM of the Ed25519 key that signs passes. */
  passSigningKey: string;
  /** Password of the embedded PostgreSQL superuser (development only). */
  embeddedPgPassword: string;
  /** Password of the embedded PostgreSQL's application role, which owns nothing (src/db/roles.ts). */
  embeddedAppPassword: string;
}

/**
 * Outside production, missing secrets are generated once and kept in DATA_DIR/secrets.json
 * (mode 0600, git-ignored), so that ID hashes and signed passes survive restarts.
 */
export function loadSecrets(config: Config): Secrets {
  const file = path.resolve(config.dataDir, 'secrets.json');
  let stored: Partial<Secrets> = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Secrets>;
  const secrets: Secrets = {
    idHashSecret: config.idHashSecret ?? stored.idHashSecret ?? randomBytes(32).toString('base64url'),
    passSigningKey:
      config.passSigningKey ??
      stored.passSigningKey ??
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    embeddedPgPassword: stored.embeddedPgPassword ?? randomBytes(18).toString('base64url'),
    embeddedAppPassword: stored.embeddedAppPassword ?? randomBytes(18).toString('base64url'),
  };
  if (!config.isProduction) {
    const toStore = {
      idHashSecret: stored.idHashSecret ?? (config.idHashSecret ? undefined : secrets.idHashSecret),
      passSigningKey: stored.passSigningKey ?? (config.passSigningKey ? undefined : secrets.passSigningKey),
      embeddedPgPassword: secrets.embeddedPgPassword,
      embeddedAppPassword: secrets.embeddedAppPassword,
    };
    if (JSON.stringify(toStore) !== JSON.stringify(stored)) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(toStore, null, 2), { mode: 0o600 });
    }
  }
  return secrets;
}
