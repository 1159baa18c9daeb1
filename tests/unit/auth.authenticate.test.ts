import type { Pool } from 'pg';
import { GraphQLError } from 'graphql';
import { Authenticator } from '../../src/auth/authenticate';
import { loadConfig } from '../../src/config';

const apiKeyCacheTtlMsFrom = (env: NodeJS.ProcessEnv) => loadConfig(env).apiKeyCacheTtlMs;
import { hashKey } from '../../datasources/apiKeys';
import { SqlRecorder } from '../../src/db/sql';

const KEY = 'cx_live_' + 'a'.repeat(43);
const PRINCIPAL = { id: '6e6b31cb-06c7-48c2-86e3-63e40f6cfc15', role: 'PARTNER', owner_name: '顺丰速运' };

/** A pool that knows some key hashes and records every statement it is sent. */
function fakePool(known: Map<string, typeof PRINCIPAL>) {
  const statements: { text: string; params: unknown[] }[] = [];
  const pool = {
    query: jest.fn(async (text: string, params: unknown[]) => {
      statements.push({ text, params });
      const row = known.get((params[0] as Buffer).toString('hex'));
      return { rows: row ? [row] : [] };
    }),
  };
  return { pool: pool as unknown as Pool, statements };
}

function setup(options: { ttl?: number; production?: boolean } = {}) {
  const known = new Map([[hashKey(KEY).toString('hex'), PRINCIPAL]]);
  const { pool, statements } = fakePool(known);
  let now = 1_000_000;
  const auth = new Authenticator(pool, { cacheTtlMs: options.ttl ?? 5000, isProduction: options.production ?? false, now: () => now });
  return { auth, statements, known, advance: (ms: number) => (now += ms) };
}

async function rejection(promise: Promise<unknown>): Promise<GraphQLError> {
  try {
    await promise;
  } catch (err) {
    return err as GraphQLError;
  }
  throw new Error('expected a rejection');
}

describe('Authenticator', () => {
  it('makes a caller without an Authorization header PUBLIC, identified by address, without SQL', async () => {
    const { auth, statements } = setup();
    const viewer = await auth.viewerFor(undefined, '203.0.113.7', new SqlRecorder());
    expect(viewer).toEqual({ role: 'PUBLIC', keyId: null, keyName: null, clientId: '203.0.113.7' });
    expect(statements).toHaveLength(0);
  });

  it('gives a known key its role, identified by key id, and counts the lookup in the request recorder', async () => {
    const { auth, statements } = setup();
    const sql = new SqlRecorder();
    const viewer = await auth.viewerFor(`Bearer ${KEY}`, '203.0.113.7', sql);
    expect(viewer).toEqual({ role: 'PARTNER', keyId: PRINCIPAL.id, keyName: '顺丰速运', clientId: PRINCIPAL.id });
    expect(sql.bySource.access).toBe(1);
    expect(sql.names).toEqual(['KeyStore.lookup']);
    expect(statements[0].text).toMatch(/^\/\* KeyStore\.lookup \*\//);
    // Only the hash goes to the database.
    expect(statements[0].params).toEqual([hashKey(KEY)]);
  });

  it('accepts the scheme in any case', async () => {
    const { auth } = setup();
    expect((await auth.viewerFor(`bearer ${KEY}`, 'a', new SqlRecorder())).role).toBe('PARTNER');
  });

  it.each([
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['no key', 'Bearer'],
    ['an empty key', 'Bearer '],
    ['two words', `Bearer ${KEY} extra`],
    ['an empty header', ''],
    ['a key without scheme', KEY],
    ['a 300-character key', 'Bearer ' + 'x'.repeat(300)],
  ])('refuses a malformed header (%s) with 401 UNAUTHENTICATED, without SQL', async (_what, header) => {
      const { auth, statements } = setup();
      const err = await rejection(auth.viewerFor(header, 'a', new SqlRecorder()));
      expect(err.extensions.code).toBe('UNAUTHENTICATED');
      expect(err.extensions.http).toMatchObject({ status: 401 });
      expect(err.message).toMatch(/Bearer <API key>/);
      expect(statements).toHaveLength(0);
  });

  it('refuses an unknown key with 401, and does not cache the refusal', async () => {
    const { auth, statements } = setup();
    for (let i = 0; i < 2; i++) {
      const err = await rejection(auth.viewerFor('Bearer cx_live_unknown', 'a', new SqlRecorder()));
      expect(err.extensions.code).toBe('UNAUTHENTICATED');
      expect(err.message).toBe('The API key is not valid: it is unknown or has been revoked.');
    }
    expect(statements).toHaveLength(2);
  });

  it('reuses a successful lookup for the TTL, then looks again (so a revocation takes effect)', async () => {
    const { auth, statements, known, advance } = setup({ ttl: 5000 });
    const second = new SqlRecorder();
    await auth.viewerFor(`Bearer ${KEY}`, 'a', new SqlRecorder());
    await auth.viewerFor(`Bearer ${KEY}`, 'a', second);
    expect(statements).toHaveLength(1);
    expect(second.statements).toBe(0);

    known.clear(); // revoked
    advance(4999);
    expect((await auth.viewerFor(`Bearer ${KEY}`, 'a', new SqlRecorder())).role).toBe('PARTNER');
    advance(1);
    const err = await rejection(auth.viewerFor(`Bearer ${KEY}`, 'a', new SqlRecorder()));
    expect(err.extensions.code).toBe('UNAUTHENTICATED');
    expect(statements).toHaveLength(2);
  });

  it('with a TTL of 0, looks up every time', async () => {
    const { auth, statements } = setup({ ttl: 0 });
    await auth.viewerFor(`Bearer ${KEY}`, 'a', new SqlRecorder());
    await auth.viewerFor(`Bearer ${KEY}`, 'a', new SqlRecorder());
    expect(statements).toHaveLength(2);
  });

  it('sends one lookup for concurrent requests with the same uncached key', async () => {
    const { auth, statements } = setup();
    const viewers = await Promise.all(Array.from({ length: 20 }, () => auth.viewerFor(`Bearer ${KEY}`, 'a', new SqlRecorder())));
    expect(viewers.every((v) => v.role === 'PARTNER')).toBe(true);
    expect(statements).toHaveLength(1);
  });

  it('in production, refuses the demo keys by their plaintext even when the table holds them', async () => {
    const { auth, statements, known } = setup({ production: true });
    for (const [key, role] of [['demo-partner', 'PARTNER'], ['demo-gov', 'GOV'], ['demo-health', 'HEALTH']]) {
      known.set(hashKey(key).toString('hex'), { ...PRINCIPAL, role });
      const err = await rejection(auth.viewerFor(`Bearer ${key}`, 'a', new SqlRecorder()));
      expect(err.extensions.code).toBe('UNAUTHENTICATED');
    }
    expect(statements).toHaveLength(0);
    expect((await auth.viewerFor(`Bearer ${KEY}`, 'a', new SqlRecorder())).role).toBe('PARTNER');
  });

  it('outside production, the demo keys are ordinary keys', async () => {
    const { auth, known } = setup();
    known.set(hashKey('demo-gov').toString('hex'), { ...PRINCIPAL, role: 'GOV' });
    expect((await auth.viewerFor('Bearer demo-gov', 'a', new SqlRecorder())).role).toBe('GOV');
  });

  it('answers a database outage during the lookup with a retryable 503', async () => {
    const pool = { query: jest.fn(async () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))) };
    const auth = new Authenticator(pool as unknown as Pool, { cacheTtlMs: 5000, isProduction: false });
    const err = await rejection(auth.viewerFor(`Bearer ${KEY}`, 'a', new SqlRecorder()));
    expect(err.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', http: { status: 503 } });
  });
});

describe('API_KEY_CACHE_TTL_MS', () => {
  it('defaults to 5000 ms and accepts 0 (no cache)', () => {
    expect(apiKeyCacheTtlMsFrom({})).toBe(5000);
    expect(apiKeyCacheTtlMsFrom({ API_KEY_CACHE_TTL_MS: '0' })).toBe(0);
    expect(apiKeyCacheTtlMsFrom({ API_KEY_CACHE_TTL_MS: '250' })).toBe(250);
  });

  it.each([['-1'], ['five'], ['1.5'], ['3600000']])('stops start-up on %j, naming the variable', (value) => {
    expect(() => apiKeyCacheTtlMsFrom({ API_KEY_CACHE_TTL_MS: value })).toThrow(/API_KEY_CACHE_TTL_MS/);
  });
});
