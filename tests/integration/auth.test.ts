import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, type TestServer } from '../helpers/server';
import { DEMO_KEYS, ensureDemoKeys, hashKey, KeyStore } from '../../datasources/apiKeys';
import { createContext } from '../../src/context';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const FLOWS = `{ region(code: "420106") { name inflows(first: 1) { trips } } }`;

let server: TestServer;
let keys: KeyStore;
beforeAll(async () => {
  // No key cache: revocations are seen at once (the cache has its own tests).
  server = await startTestServer({ apiKeyCacheTtlMs: 0 });
  keys = KeyStore.over(server.pools.access);
});
afterAll(async () => {
  await server.close();
});

describe('API keys', () => {
  it('creates a key that is shown once, listed without secrets, found by lookup and stopped by revoke', async () => {
    const created = await keys.create({ role: 'PARTNER', ownerName: ' 顺丰速运 ' });
    expect(created.key).toMatch(/^cx_live_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({ role: 'PARTNER', ownerName: '顺丰速运', revokedAt: null, demo: false });

    const listed = (await keys.list()).find((k) => k.id === created.id)!;
    expect(listed).toEqual({ id: created.id, role: 'PARTNER', ownerName: '顺丰速运', createdAt: created.createdAt, revokedAt: null, demo: false });
    expect(JSON.stringify(await keys.list())).not.toContain(created.key);

    expect(await keys.lookup(created.key)).toEqual({ id: created.id, role: 'PARTNER', ownerName: '顺丰速运' });
    expect(await keys.lookup(created.key + 'x')).toBeNull();

    const revoked = await keys.revoke(created.id);
    expect(revoked!.revokedAt).toBeInstanceOf(Date);
    expect(await keys.lookup(created.key)).toBeNull();
    // Revoking again keeps the first revocation time; an unknown id is null.
    expect((await keys.revoke(created.id))!.revokedAt).toEqual(revoked!.revokedAt);
    expect(await keys.revoke('00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('stores only the SHA-256 of a key: no column holds the plaintext', async () => {
    const { key, id } = await keys.create({ role: 'GOV', ownerName: 'dashboard' });
    const { rows } = await server.pools.access.query('SELECT k.*, row_to_json(k)::text AS everything FROM access.api_keys k WHERE id = $1', [id]);
    expect(rows[0].key_hash).toEqual(hashKey(key));
    expect(rows[0].everything).not.toContain(key);
    expect(rows[0].everything).not.toContain(key.slice('cx_live_'.length));
  });

  it('never deletes a key (the audit trail refers to it): revoking is the only way to stop one', async () => {
    const { id } = await keys.create({ role: 'GOV', ownerName: 'to be deleted' });
    await expect(server.pools.access.query('DELETE FROM access.api_keys WHERE id = $1', [id])).rejects.toThrow(/never deleted/);
    await expect(server.pools.access.query('TRUNCATE access.api_keys')).rejects.toThrow(/never deleted/);
  });

  it('refuses a role that needs no key, and an empty owner', async () => {
    await expect(keys.create({ role: 'PUBLIC', ownerName: 'x' })).rejects.toThrow(/PARTNER, GOV, HEALTH/);
    await expect(keys.create({ role: 'GOV', ownerName: '  ' })).rejects.toThrow(/owner name/);
  });

  it('keeps the demo keys idempotent, and a new demo seed re-enables a revoked one', async () => {
    const demoHashes = Object.values(DEMO_KEYS).map(hashKey);
    const count = async () =>
      (await server.pools.access.query('SELECT count(*)::int AS n FROM access.api_keys WHERE key_hash = ANY($1)', [demoHashes])).rows[0].n;
    await ensureDemoKeys(server.pools.access);
    await ensureDemoKeys(server.pools.access);
    expect(await count()).toBe(3);
    const gov = await keys.lookup('demo-gov');
    await keys.revoke(gov!.id);
    expect(await keys.lookup('demo-gov')).toBeNull();
    await ensureDemoKeys(server.pools.access);
    expect(await keys.lookup('demo-gov')).toEqual({ id: gov!.id, role: 'GOV', ownerName: 'demo GOV' });
  });

  it('refuses to create demo keys with NODE_ENV=production', async () => {
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await expect(ensureDemoKeys(server.pools.access)).rejects.toThrow(/Refusing to create demo API keys/);
    } finally {
      process.env.NODE_ENV = saved;
    }
  });
});

describe('authentication over HTTP', () => {
  it('serves a request without Authorization as PUBLIC', async () => {
    const { status, body } = await server.gql('{ region(code: "420106") { name } }');
    expect(status).toBe(200);
    expect(body).toMatchObject({ data: { region: { name: '武昌区' } } });
  });

  it('gives a new key its role', async () => {
    const { key } = await keys.create({ role: 'GOV', ownerName: '国家卫健委' });
    const { status, body } = await server.gql(FLOWS, {}, bearer(key));
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.region.inflows).toHaveLength(1);
  });

  it.each([
    ['an unknown key', 'Bearer cx_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', /unknown or has been revoked/],
    ['another scheme', 'Basic dXNlcjpwYXNz', /must be "Bearer <API key>"/],
    ['a scheme without a key', 'Bearer', /must be "Bearer <API key>"/],
    ['two words', 'Bearer demo-gov demo-health', /must be "Bearer <API key>"/],
  ])('fails the whole request with 401 UNAUTHENTICATED for %s', async (_what, header, message) => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: header },
      body: JSON.stringify({ query: '{ apiInfo { version } }' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="changxing"');
    const body = (await res.json()) as { data?: unknown; errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.data).toBeUndefined();
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].message).toMatch(message);
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(body.errors[0].extensions.http).toBeUndefined();
  });

  it('refuses a revoked key with 401', async () => {
    const { key, id } = await keys.create({ role: 'HEALTH', ownerName: '疾控中心' });
    expect((await server.gql('{ apiInfo { version } }', {}, bearer(key))).status).toBe(200);
    await keys.revoke(id);
    const { status, body } = await server.gql('{ apiInfo { version } }', {}, bearer(key));
    expect(status).toBe(401);
    expect(body.errors![0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('counts the key lookup among the request’s statements, and a cached key costs none', async () => {
    const cached = await startTestServer({ apiKeyCacheTtlMs: 60_000 });
    try {
      const { key, id } = await keys.create({ role: 'PARTNER', ownerName: '京东物流' });
      const first = await cached.gql('{ apiInfo { version } }', {}, bearer(key));
      expect(first.body.extensions.sql.bySource.access).toBe(1);
      const second = await cached.gql('{ apiInfo { version } }', {}, bearer(key));
      expect(second.body.extensions.sql.bySource.access).toBe(0);
      // Within the TTL a revoked key is still accepted by a process that cached it (documented).
      await keys.revoke(id);
      expect((await cached.gql('{ apiInfo { version } }', {}, bearer(key))).status).toBe(200);
      expect((await server.gql('{ apiInfo { version } }', {}, bearer(key))).status).toBe(401);
    } finally {
      await cached.close();
    }
  });
});

describe('roles', () => {
  it('lets the demo keys in with their roles outside production', async () => {
    const gov = await server.gql(FLOWS, {}, bearer('demo-gov'));
    expect(gov.body.errors).toBeUndefined();
    const partner = await server.gql(FLOWS, {}, bearer('demo-partner'));
    expect(partner.status).toBe(200);
    expect(partner.body.errors![0]).toMatchObject({
      message: 'Region.inflows requires role GOV or HEALTH; this request has role PARTNER',
      extensions: { code: 'FORBIDDEN' },
    });
    const health = await server.gql('{ auditTrail(first: 1) { totalCount } }', {}, bearer('demo-health'));
    expect(health.body.errors).toBeUndefined();
  });

  it('denies field by field: the other fields of the same query still resolve', async () => {
    const { status, body } = await server.gql(`{ apiInfo { version } named: region(code: "420106") { name risk { level } }
      flows: region(code: "420106") { inflows { trips } } }`);
    expect(status).toBe(200);
    expect(body.data.apiInfo.version).toEqual(expect.any(String));
    expect(body.data.named).toMatchObject({ name: '武昌区', risk: { level: 'HIGH' } });
    // inflows is nullable because some roles may not read it: only that field is nulled.
    expect(body.data.flows).toEqual({ inflows: null });
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: 'Region.inflows requires role GOV or HEALTH; this request has role PUBLIC',
        path: ['flows', 'inflows'],
        extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
      }),
    ]);
  });

  it('keeps the public map public: NationalRiskMap-style fields need no key', async () => {
    const { body } = await server.gql(`{ regions(level: PROVINCE, first: 3) { nodes { name caseSummary { newConfirmed } risk { level } } } }`);
    expect(body.errors).toBeUndefined();
  });
});

describe('production', () => {
  let prod: TestServer;
  beforeAll(async () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    prod = await startTestServer({ env: { NODE_ENV: 'production', ID_HASH_SECRET: process.env.ID_HASH_SECRET!, PASS_SIGNING_KEY: pem }, apiKeyCacheTtlMs: 0 });
  });
  afterAll(async () => {
    await prod.close();
  });

  it('refuses every demo key although their rows exist, and accepts a real key', async () => {
    for (const key of Object.values(DEMO_KEYS)) {
      expect(await keys.lookup(key)).not.toBeNull();
      const { status, body } = await prod.gql('{ apiInfo { version } }', {}, bearer(key));
      expect(status).toBe(401);
      expect(body.errors![0].extensions?.code).toBe('UNAUTHENTICATED');
    }
    const { key } = await keys.create({ role: 'GOV', ownerName: 'prod dashboard' });
    const { status, body } = await prod.gql(FLOWS, {}, bearer(key));
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  });
});

describe('audit trail', () => {
  const HEALTH = bearer('demo-health');
  const TRAIL = `query($filter: AuditTrailFilter, $first: Int, $after: String) {
    auditTrail(filter: $filter, first: $first, after: $after) {
      totalCount
      nodes { id at role keyId keyOwnerName operation subjectPersonId outcome requestId detail }
      edges { cursor node { id } }
      pageInfo { hasNextPage endCursor }
    } }`;

  it('writes a batch of 1,000 entries in one statement, filled with who and which request', async () => {
    const { rows: before } = await server.pools.access.query('SELECT count(*)::int AS n FROM access.audit_log');
    const gov = (await keys.lookup('demo-gov'))!;
    const ctx = createContext(server.pools, server.app.services(), {
      requestId: 'batch-test-0001',
      viewer: { role: 'GOV', keyId: gov.id, keyName: gov.ownerName, clientId: gov.id },
    });
    const person = '0b5c7a7e-2f4e-4a55-9c3a-2b1d6f1e9a10';
    await ctx.services.audit.recordMany(Array.from({ length: 1000 }, (_, i) => ({ operation: 'test.batch', subjectPersonId: i % 2 ? person : null, outcome: 'OK' })));
    expect(ctx.sql.statements).toBe(1);
    expect(ctx.sql.names).toEqual(['AuditSource.append']);
    const { rows } = await server.pools.access.query(
      `SELECT count(*)::int AS n, count(DISTINCT at)::int AS times, min(role) AS role, min(key_id::text) AS key, min(request_id) AS req,
              count(subject_person_id)::int AS subjects
         FROM access.audit_log WHERE request_id = 'batch-test-0001'`,
    );
    expect(rows[0]).toEqual({ n: 1000, times: 1, role: 'GOV', key: gov.id, req: 'batch-test-0001', subjects: 500 });
    const { rows: after } = await server.pools.access.query('SELECT count(*)::int AS n FROM access.audit_log');
    expect(after[0].n).toBe(before[0].n + 1000);
  });

  it('lets HEALTH read it newest first, by filter and page, and records that reading', async () => {
    const health = (await keys.lookup('demo-health'))!;
    const filter = { operation: 'test.batch' };
    const page1 = await server.gql(TRAIL, { filter, first: 400 }, HEALTH);
    expect(page1.body.errors).toBeUndefined();
    const conn = page1.body.data.auditTrail;
    expect(conn.totalCount).toBeGreaterThanOrEqual(1000);
    expect(conn.nodes).toHaveLength(400);
    expect(conn.nodes[0]).toMatchObject({ role: 'GOV', operation: 'test.batch', outcome: 'OK', keyOwnerName: 'demo GOV', requestId: 'batch-test-0001' });
    const ids = conn.nodes.map((n: { id: string }) => Number(n.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const page2 = await server.gql(TRAIL, { filter, first: 400, after: conn.pageInfo.endCursor }, HEALTH);
    expect(Number(page2.body.data.auditTrail.nodes[0].id)).toBeLessThan(ids[ids.length - 1]);

    const mine = await server.gql(TRAIL, { filter: { operation: 'auditTrail', keyId: health.id }, first: 1 }, HEALTH);
    expect(mine.body.data.auditTrail.nodes[0]).toMatchObject({ role: 'HEALTH', keyId: health.id, operation: 'auditTrail', outcome: 'OK' });

    const future = new Date(Date.now() + 3_600_000).toISOString();
    const none = await server.gql(TRAIL, { filter: { from: future } }, HEALTH);
    expect(none.body.data.auditTrail).toMatchObject({ totalCount: 0, nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('is HEALTH only', async () => {
    for (const headers of [{}, bearer('demo-partner'), bearer('demo-gov')]) {
      const { body } = await server.gql('{ auditTrail { totalCount } }', {}, headers);
      expect(body.errors![0].extensions?.code).toBe('FORBIDDEN');
      expect(body.errors![0].message).toMatch(/^Query.auditTrail requires role HEALTH; this request has role (PUBLIC|PARTNER|GOV)$/);
    }
  });

  it('answers a bad filter with BAD_USER_INPUT', async () => {
    const { body } = await server.gql(TRAIL, { filter: { subjectPersonId: '420106198805120017' } }, HEALTH);
    expect(body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'filter.subjectPersonId' } });
    expect(body.errors![0].message).not.toContain('420106198805120017');
  });

  it('is append-only: UPDATE, DELETE and TRUNCATE fail, even for a superuser in replica mode', async () => {
    const client = await server.pools.access.connect();
    try {
      const { rows } = await client.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
      expect(rows[0].rolsuper).toBe(true); // the test database connects as a superuser
      for (const sql of [
        "UPDATE access.audit_log SET outcome = 'CHANGED'",
        'DELETE FROM access.audit_log WHERE id = (SELECT max(id) FROM access.audit_log)',
        'DELETE FROM access.audit_log WHERE false',
        'TRUNCATE access.audit_log',
      ]) {
        await expect(client.query(sql)).rejects.toThrow(/access.audit_log is append-only/);
      }
      await client.query('SET session_replication_role = replica');
      await expect(client.query('DELETE FROM access.audit_log')).rejects.toThrow(/append-only/);
    } finally {
      await client.query('RESET session_replication_role');
      client.release();
    }
  });

  it('refuses, in the database too, a row that holds something shaped like an ID number', async () => {
    await expect(
      server.pools.access.query(`INSERT INTO access.audit_log (role, operation, outcome, detail) VALUES ('PUBLIC', 'x', 'OK', 'id 420106198805120017')`),
    ).rejects.toThrow(/audit_log_no_id_number/);
  });

  it('drops a client request id that holds an ID number instead of writing it to logs and the trail', async () => {
    const { body } = await server.gql('{ auditTrail(first: 1) { nodes { requestId } } }', {}, { ...HEALTH, 'x-request-id': 'trace-420106198805120017' });
    expect(body.errors).toBeUndefined();
    const { rows } = await server.pools.access.query(`SELECT count(*)::int AS n FROM access.audit_log WHERE request_id LIKE '%420106198805120017%'`);
    expect(rows[0].n).toBe(0);
  });
});

describe('npm run keys', () => {
  const run = promisify(execFile);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'changxing-keys-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  // through npm, as an operator runs it: the compiled CLI (dist/, built first when stale)
  const keysCli = (...args: string[]) =>
    run('npm', ['run', '--silent', 'keys', '--', ...args], {
      env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: process.env.TEST_DATABASE_URL, DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
    });

  it('creates a key and prints it once with its id, lists it without the secret, and revokes it', async () => {
    const created = await keysCli('create', '--role', 'PARTNER', '--name', '顺丰速运');
    const id = /id: +([0-9a-f-]{36})/.exec(created.stdout)![1];
    const key = /key: +(cx_live_\S+)/.exec(created.stdout)![1];
    expect(await keys.lookup(key)).toEqual({ id, role: 'PARTNER', ownerName: '顺丰速运' });

    const listed = await keysCli('list');
    const line = listed.stdout.split('\n').find((l) => l.startsWith(id))!;
    expect(line).toMatch(/^\S+ +PARTNER +顺丰速运 +\d{4}-\d\d-\d\dT\S+ +-$/);
    expect(listed.stdout).not.toContain(key);
    expect(listed.stdout).toMatch(/demo GOV \(demo key\)/);

    const revoked = await keysCli('revoke', id);
    expect(revoked.stdout).toContain(`revoked PARTNER key ${id}`);
    expect(await keys.lookup(key)).toBeNull();
    expect((await keysCli('list')).stdout.split('\n').find((l) => l.startsWith(id))).toMatch(/Z$/);
  }, 30_000);

  it('explains a mistake and exits non-zero', async () => {
    await expect(keysCli('create', '--role', 'PUBLIC', '--name', 'x')).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/PUBLIC needs no key/) });
    await expect(keysCli('revoke', 'nope')).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/a key id is a UUID/) });
  }, 30_000);
});
