import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { Sql, SqlRecorder } from '../src/db/sql';
import type { Role } from '../src/auth/viewer';

/** The roles an API key can carry (PUBLIC is the absence of a key). */
export const KEY_ROLES = ['PARTNER', 'GOV', 'HEALTH'] as const satisfies readonly Role[];
export type KeyRole = (typeof KEY_ROLES)[number];

/**
 * The demo keys of DESIGN §3, created by the demo seed outside production. Their plaintext is
 * public (it is in the README), so in production they are refused by plaintext before any lookup,
 * even if a row for them exists.
 */
export const DEMO_KEYS: Readonly<Record<KeyRole, string>> = {
  PARTNER: 'demo-partner',
  GOV: 'demo-gov',
  HEALTH: 'demo-health',
};
const DEMO_PLAINTEXTS: ReadonlySet<string> = new Set(Object.values(DEMO_KEYS));

export function isDemoKey(plaintext: string): boolean {
  return DEMO_PLAINTEXTS.has(plaintext);
}

/** What a valid key stands for. */
export interface KeyPrincipal {
  id: string;
  role: KeyRole;
  ownerName: string;
}

/** A key as listed: never its secret, not even its hash. */
export interface ApiKeyInfo extends KeyPrincipal {
  createdAt: Date;
  revokedAt: Date | null;
  /** True for the three demo keys (recognised by hash). */
  demo: boolean;
}

/** Prefix of generated keys: recognisable in logs and by secret scanners. */
export const KEY_PREFIX = 'cx_live_';

/**
 * SHA-256 of the key. A fast hash is enough: keys are 256-bit random strings, so there is nothing
 * to gain from a slow password hash (see migrations/access); demo keys are refused in production.
 */
export function hashKey(plaintext: string): Buffer {
  return createHash('sha256').update(plaintext, 'utf8').digest();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function isKeyRole(value: string): value is KeyRole {
  return (KEY_ROLES as readonly string[]).includes(value);
}

interface KeyRow {
  id: string;
  role: KeyRole;
  owner_name: string;
  created_at: Date;
  revoked_at: Date | null;
  demo: boolean;
}

const toInfo = (r: KeyRow): ApiKeyInfo => ({
  id: r.id,
  role: r.role,
  ownerName: r.owner_name,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
  demo: r.demo,
});

const INFO_COLUMNS = 'id, role, owner_name, created_at, revoked_at, key_hash = ANY($1::bytea[]) AS demo';
const DEMO_HASHES = () => Object.values(DEMO_KEYS).map(hashKey);

/**
 * The API key store (schema `access`): the only code that reads or writes `access.api_keys`.
 * Plaintext keys exist only in `create`'s result and in the caller's `lookup` argument.
 */
export class KeyStore {
  constructor(private readonly sql: Sql) {}

  /** A store over a pool outside any request (CLI, seed): its statements are counted nowhere. */
  static over(pool: Pool): KeyStore {
    return new KeyStore(new Sql(pool, 'access', new SqlRecorder()));
  }

  /** Creates a key; the result holds the plaintext, which is not stored and cannot be shown again. */
  async create(input: { role: string; ownerName: string }): Promise<ApiKeyInfo & { key: string }> {
    if (!isKeyRole(input.role)) {
      throw new Error(`role must be one of ${KEY_ROLES.join(', ')} (PUBLIC needs no key), got '${input.role}'`);
    }
    const ownerName = input.ownerName.trim();
    if (ownerName.length === 0 || ownerName.length > 200) {
      throw new Error(`the owner name must be 1–200 characters, got ${ownerName.length}`);
    }
    const key = KEY_PREFIX + randomBytes(32).toString('base64url');
    const [row] = await this.sql.write<KeyRow>(
      'KeyStore.create',
      `INSERT INTO access.api_keys (id, key_hash, role, owner_name) VALUES ($2, $3, $4, $5)
       RETURNING ${INFO_COLUMNS}`,
      [DEMO_HASHES(), randomUUID(), hashKey(key), input.role, ownerName],
    );
    return { ...toInfo(row), key };
  }

  /** Every key, oldest first, without secrets. */
  async list(): Promise<ApiKeyInfo[]> {
    const rows = await this.sql.query<KeyRow>(
      'KeyStore.list',
      `SELECT ${INFO_COLUMNS} FROM access.api_keys ORDER BY created_at, id`,
      [DEMO_HASHES()],
    );
    return rows.map(toInfo);
  }

  /**
   * Revokes a key: it stops authenticating at once in processes that have not cached it, and
   * within API_KEY_CACHE_TTL_MS in those that have. Returns the key, or null if no key has that id;
   * revoking a revoked key keeps its first revocation time.
   */
  async revoke(id: string): Promise<ApiKeyInfo | null> {
    if (!isUuid(id)) throw new Error(`a key id is a UUID (see the list command), got '${id}'`);
    const rows = await this.sql.write<KeyRow>(
      'KeyStore.revoke',
      `UPDATE access.api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $2
       RETURNING ${INFO_COLUMNS}`,
      [DEMO_HASHES(), id],
    );
    return rows.length === 0 ? null : toInfo(rows[0]);
  }

  /** The principal of a valid key; null when the key is unknown or revoked. */
  async lookup(plaintext: string): Promise<KeyPrincipal | null> {
    return this.lookupHash(hashKey(plaintext));
  }

  /** `lookup` for a key already hashed (the authenticator hashes once for its cache and the query). */
  async lookupHash(hash: Buffer): Promise<KeyPrincipal | null> {
    const rows = await this.sql.query<{ id: string; role: KeyRole; owner_name: string }>(
      'KeyStore.lookup',
      `SELECT id, role, owner_name FROM access.api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
      [hash],
    );
    return rows.length === 0 ? null : { id: rows[0].id, role: rows[0].role, ownerName: rows[0].owner_name };
  }

  /**
   * The demo keys, valid and with their roles (re-enabled if revoked): idempotent, so every demo
   * seed leaves them working. Refuses in production, where no demo key may exist.
   */
  async ensureDemoKeys(): Promise<void> {
    if (process.env.NODE_ENV === 'production') {
      throw new Error('Refusing to create demo API keys with NODE_ENV=production');
    }
    const entries = Object.entries(DEMO_KEYS) as [KeyRole, string][];
    await this.sql.write(
      'KeyStore.ensureDemoKeys',
      `INSERT INTO access.api_keys (key_hash, role, owner_name)
       SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[])
       ON CONFLICT (key_hash) DO UPDATE
         SET role = EXCLUDED.role, owner_name = EXCLUDED.owner_name, revoked_at = NULL`,
      [entries.map(([, key]) => hashKey(key)), entries.map(([role]) => role), entries.map(([role]) => `demo ${role}`)],
    );
  }
}

/** Creates (or re-enables) the demo keys `demo-partner`, `demo-gov`, `demo-health`; called by the demo seed. */
export async function ensureDemoKeys(pool: Pool): Promise<void> {
  await KeyStore.over(pool).ensureDemoKeys();
}
