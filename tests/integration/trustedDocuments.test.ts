import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config';
import { DEFAULT_LIMITS } from '../../src/limits';
import { startTestServer, type TestServer } from '../helpers/server';
import { contractOperations, operation, OPERATIONS_DIR } from '../helpers/operations';
import { DEFAULT_MANIFEST_PATH, operationsOf, readManifest, sha256 } from '../../src/documents/manifest';
import { buildSchema } from '../../src/schema';
import { DEMO_PEOPLE } from '../../src/seed/demoPeople';

const PARTNER = { authorization: 'Bearer demo-partner' };
const GOV = { authorization: 'Bearer demo-gov' };

/** POST with APQ's extension; `query` left out sends the hash alone. */
async function post(server: TestServer, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] } };
}
const apq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

describe('documents/manifest.json', () => {
  it('holds every contract operation, as printed by graphql (npm run documents -- register examples/operations/*.graphql)', () => {
    const manifest = readManifest(DEFAULT_MANIFEST_PATH);
    const ids = new Set(manifest.operations.map((o) => o.id));
    const stale = [...contractOperations()].filter(([, op]) => !ids.has(sha256(op.document))).map(([name, op]) => `${name} (${op.file})`);
    expect(stale).toEqual([]);
    // The CLI's splitting agrees with the test helper's, so clients and tests send the same text.
    for (const file of readdirSync(OPERATIONS_DIR).filter((f) => f.endsWith('.graphql'))) {
      for (const op of operationsOf(readFileSync(path.join(OPERATIONS_DIR, file), 'utf8'))) expect(op.body).toBe(operation(op.name!));
    }
  });

  it('holds only documents that are valid against the schema, each under the SHA-256 of its text', () => {
    const schema = buildSchema();
    for (const op of readManifest(DEFAULT_MANIFEST_PATH).operations) {
      expect(op.id).toBe(sha256(op.body));
      expect(operationsOf(op.body, schema)).toEqual([op]);
    }
  });
});

describe('automatic persisted queries', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers an unknown hash with PERSISTED_QUERY_NOT_FOUND, registers the document, then runs it by hash', async () => {
    const query = `{ region(code: "420106") { name apq: code } }`;
    const hash = sha256(query);
    const miss = await post(server, { extensions: apq(hash) });
    expect(miss.body.errors![0].extensions!.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const register = await post(server, { query, extensions: apq(hash) });
    expect(register.body.errors).toBeUndefined();
    expect(register.body.data.region.apq).toBe('420106');

    const hit = await post(server, { extensions: apq(hash) });
    expect(hit.body.errors).toBeUndefined();
    expect(hit.body.data).toEqual(register.body.data);
  });

  it('refuses a hash that does not match the text', async () => {
    const { status, body } = await post(server, { query: '{ __typename }', extensions: apq(sha256('{ other }')) });
    expect(status).toBe(400);
    expect(body.errors![0].message).toMatch(/does not match/);
  });

  it('knows the manifest documents by hash without registration', async () => {
    const hit = await post(server, { extensions: apq(sha256(operation('NationalRiskMap'))), variables: {} });
    expect(hit.body.errors).toBeUndefined();
    expect(hit.body.data.counties.totalCount).toBeGreaterThan(2800);
  });
});

describe('trusted documents for PARTNER (TRUSTED_DOCUMENTS_ROLES=PARTNER, the default)', () => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer({ env: { TRUSTED_DOCUMENTS_ROLES: 'PARTNER' } });
    const [person] = DEMO_PEOPLE;
    const issued = await server.gql(operation('IssuePass'), { name: person.name, idNumber: person.idNumber });
    token = issued.body.data.issuePass.pass.token;
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses a document that is not in the manifest, with 403 PERSISTED_QUERY_NOT_ALLOWED', async () => {
    const { status, body } = await server.gql(`query($t: String!) { checkPass(token: $t) { color } }`, { t: token }, PARTNER);
    expect(status).toBe(403);
    expect(body.data).toBeUndefined();
    expect(body.errors![0]).toMatchObject({ extensions: { code: 'PERSISTED_QUERY_NOT_ALLOWED' } });
    expect(body.errors![0].message).toMatch(/^Role PARTNER may run only trusted documents/);
  });

  it('refuses to register an unknown document through APQ, and does not cache it', async () => {
    const query = `{ checkPass(token: "x") { status } }`;
    const registered = await post(server, { query, extensions: apq(sha256(query)) }, PARTNER);
    expect(registered.status).toBe(403);
    expect(registered.body.errors![0].extensions!.code).toBe('PERSISTED_QUERY_NOT_ALLOWED');
    const again = await post(server, { extensions: apq(sha256(query)) }, PARTNER);
    expect(again.body.errors![0].extensions!.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('refuses a document another role registered through APQ', async () => {
    const query = `{ regions(first: 1) { totalCount } }`;
    expect((await post(server, { query, extensions: apq(sha256(query)) }, GOV)).body.errors).toBeUndefined();
    const partner = await post(server, { extensions: apq(sha256(query)) }, PARTNER);
    expect(partner.body.errors![0].extensions!.code).toBe('PERSISTED_QUERY_NOT_ALLOWED');
  });

  it('runs a manifest document sent as its full text', async () => {
    const { status, body } = await server.gql(operation('CheckPass'), { token }, PARTNER);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.checkPass.status).toBe('VALID');
  });

  it('runs a manifest document sent by hash alone', async () => {
    const { status, body } = await post(server, { extensions: apq(sha256(operation('CheckPasses'))), variables: { tokens: [token, token] } }, PARTNER);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.checkPasses).toHaveLength(2);
  });

  it('leaves GOV and PUBLIC free to send their own documents', async () => {
    const gov = await server.gql(`{ region(code: "420106") { inflows(first: 1) { trips } } }`, {}, GOV);
    expect(gov.body.errors).toBeUndefined();
    const anon = await server.gql(`{ region(code: "420106") { name } }`);
    expect(anon.body.errors).toBeUndefined();
  });
});

describe('npm run documents', () => {
  const run = promisify(execFile);
  const dir = mkdtempSync(path.join(tmpdir(), 'changxing-documents-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const manifest = path.join(dir, 'manifest.json');
  const cli = (...args: string[]) => run(path.resolve('node_modules/.bin/tsx'), ['src/cli/documents.ts', ...args, '--manifest', manifest]);

  it('registers the operations of a file once each, lists them, and checks the contract operations', async () => {
    const file = path.join(dir, 'mine.graphql');
    writeFileSync(file, 'query Mine($t: String!) { checkPass(token: $t) { color } }\nquery Yours { regions(first: 1) { totalCount } }\n');
    const first = await cli('register', file);
    expect(first.stdout).toMatch(/^registered Mine [0-9a-f]{64}\nregistered Yours [0-9a-f]{64}\n$/);
    expect((await cli('register', file)).stdout).toMatch(/^already registered Mine/);
    const listed = (await cli('list')).stdout.trim().split('\n');
    expect(listed).toHaveLength(2);
    expect(listed[0]).toMatch(/^[0-9a-f]{64} {2}query {5}Mine$/);
    // Not yet holding the contract operations: check fails and says what to run.
    await expect(cli('check')).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/not in the manifest: NationalRiskMap/) });
    await cli('register', ...readdirSync(OPERATIONS_DIR).map((f) => path.join(OPERATIONS_DIR, f)));
    await expect(cli('check')).resolves.toBeDefined();
    expect(readManifest(manifest).operations).toHaveLength(14);
  });

  it('refuses a document that is not valid against the schema', async () => {
    const file = path.join(dir, 'bad.graphql');
    writeFileSync(file, 'query Bad { regionz { totalCount } }');
    await expect(cli('register', file)).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/Cannot query field "regionz"/) });
  });
});

describe('configuration', () => {
  it('enforces trusted documents for PARTNER by default, and for no role when set empty', () => {
    expect(loadConfig({}).trustedDocuments.roles).toEqual(['PARTNER']);
    expect(loadConfig({ TRUSTED_DOCUMENTS_ROLES: '' }).trustedDocuments.roles).toEqual([]);
    expect(loadConfig({ TRUSTED_DOCUMENTS_ROLES: 'PARTNER,GOV' }).trustedDocuments.roles).toEqual(['PARTNER', 'GOV']);
    expect(() => loadConfig({ TRUSTED_DOCUMENTS_ROLES: 'partner' })).toThrow(/TRUSTED_DOCUMENTS_ROLES/);
  });

  it('reads cost budgets per role', () => {
    expect(loadConfig({ GRAPHQL_MAX_COST: 'PUBLIC=1000,GOV=2000' }).limits.maxCost).toEqual({ PUBLIC: 1000, PARTNER: 1_300, GOV: 2000, HEALTH: 810_000, CARRIER: DEFAULT_LIMITS.maxCost.CARRIER });
    expect(() => loadConfig({ GRAPHQL_MAX_COST: 'EVERYONE=1' })).toThrow(/GRAPHQL_MAX_COST/);
  });

  it('reads answer size budgets per role, in bytes, kb or mb', () => {
    expect(loadConfig({ GRAPHQL_MAX_RESPONSE_BYTES: 'PUBLIC=512kb,GOV=1000,HEALTH=2MB' }).limits.maxResponseBytes).toEqual({
      PUBLIC: 512 * 1024,
      PARTNER: 1024 * 1024,
      GOV: 1000,
      HEALTH: 2 * 1024 * 1024,
      CARRIER: 1024 * 1024,
    });
    expect(() => loadConfig({ GRAPHQL_MAX_RESPONSE_BYTES: 'PUBLIC=4gb' })).toThrow(/GRAPHQL_MAX_RESPONSE_BYTES/);
  });
});
