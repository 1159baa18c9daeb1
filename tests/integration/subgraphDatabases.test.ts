import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getNamedType, isLeafType, isNonNullType, isObjectType, type GraphQLField, type GraphQLObjectType } from 'graphql';
import { closePools, SOURCES, type Pools, type SourceName } from '../../src/db/pools';
import type { App } from '../../src/server';
import { startTestSubgraph } from '../helpers/federation';
import { buildSubgraph } from '../../src/federation/subgraphs';
import { sourcesOf, SUBGRAPH_NAMES, SUBGRAPH_SECRET_HEADER, SUBGRAPH_SOURCES, type SubgraphName } from '../../src/federation/names';
import { DEMO_PEOPLE } from '../../src/seed/demoPeople';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';
import { poolsFor } from '../helpers/pools';
import { TEST_ID_HASH_SECRET } from '../helpers/secrets';
import { postGraphQL, testConfig, testDatabaseUrl, type GraphQLResponse } from '../helpers/server';

/**
 * Each subgraph opens only the databases of its sources (SUBGRAPH_SOURCES, docs/federation.md):
 * every field of every subgraph is run over exactly those, and a subgraph process given unreachable
 * URLs for the others starts, is ready and answers.
 */
const HEALTH = 'Bearer demo-health';
/** A carrier's own fields (its upload jobs) are refused to HEALTH by @auth before any read: they run as the demo carrier. */
const CARRIER = 'Bearer demo-carrier';
const UNREACHABLE = 'postgresql://127.0.0.1:1/none';
const secret = randomBytes(32).toString('base64url');
const today = todayCst();

describe('the subgraph → sources matrix', () => {
  it('opens every source when all four subgraphs share a process (start:federated), only its row for one', () => {
    expect(sourcesOf(SUBGRAPH_NAMES)).toEqual([...SOURCES]);
    expect(sourcesOf(['region'])).toEqual(['region', 'access']);
    expect(sourcesOf(['case'])).toEqual(['region', 'cases', 'access']);
  });

  describe('every field of every subgraph, run as HEALTH over its row only', () => {
    let pools: Pools;
    const apps = new Map<SubgraphName, { app: App; url: string }>();
    let personId: string;

    beforeAll(async () => {
      const databaseUrl = testDatabaseUrl();
      pools = poolsFor(databaseUrl, 4);
      for (const name of SUBGRAPH_NAMES) {
        // the sources outside the row refuse every statement (UnopenedPool)
        const { app, port } = await startTestSubgraph(name, { config: testConfig(databaseUrl), pools, secret });
        apps.set(name, { app, url: `http://127.0.0.1:${port}` });
      }
      const found = await post('person', `{ person(idNumber: "${DEMO_PEOPLE[0].idNumber}") { id } }`);
      personId = found.body.data.person.id;
    });
    afterAll(async () => {
      for (const { app } of apps.values()) await app.stop();
      await closePools(pools);
    });

    const post = (name: SubgraphName, query: string, authorization = HEALTH) =>
      postGraphQL(apps.get(name)!.url, query, undefined, { [SUBGRAPH_SECRET_HEADER]: secret, authorization });

    it.each(SUBGRAPH_NAMES.map((n) => [n, SUBGRAPH_SOURCES[n].join(' + ')]))('%s reads %s, no more and no less', async (name) => {
      const operations = operationsOf(name as SubgraphName, personId);
      const used = new Set<SourceName>();
      const failures: string[] = [];
      for (const [operation, authorization] of operations) {
        const res = await post(name as SubgraphName, operation, authorization);
        for (const e of res.body.errors ?? []) failures.push(`${operation.slice(0, 80)}… → ${e.extensions?.code}: ${e.message}`);
        for (const [source, n] of Object.entries(res.body.extensions.sql.bySource as Record<SourceName, number>)) if (n > 0) used.add(source as SourceName);
      }
      expect(failures).toEqual([]);
      // no less: a row wider than what the fields read would make a subgraph wait for a database it never uses
      expect(SOURCES.filter((s) => used.has(s))).toEqual(SUBGRAPH_SOURCES[name as SubgraphName]);
    });
  });
});

/** Values for arguments, by name; `input` by mutation. Ingestion inputs name no region, so they are refused (userErrors) and the shared data stays as seeded. */
const ARGUMENTS: Record<string, unknown> = {
  code: '420106',
  from: addDays(today, -6),
  to: today,
  idNumber: DEMO_PEOPLE[0].idNumber,
  // a name that does not match: issuePass and closeContactCheck read the person and write no pass
  name: '王红',
  token: 'not-a-pass',
  tokens: ['not-a-pass'],
  first: 2,
  // a carrier's upload job (Query.ingestJob): no job has it, and HEALTH is refused it before any read
  id: '00000000-0000-4000-8000-000000000000',
};
/** An enum value in INPUTS: printed bare, not as a string. */
class Enum {
  constructor(readonly value: string) {}
}

const INPUTS: Record<string, unknown> = {
  'Mutation.reportDailyCases': [{ regionCode: '999999', date: today, newConfirmed: 1 }],
  'Mutation.reportCluster': { regionCode: '999999', detectedOn: today, size: 1 },
  'Mutation.reportCaseRecords': [{ reference: 'SUBGRAPH-1', name: '王红', idNumber: DEMO_PEOPLE[0].idNumber, homeRegionCode: '999999', regionCode: '999999', status: new Enum('SUSPECTED'), reportedOn: today }],
  'Mutation.applyRegionChanges': [{ code: '999999', change: new Enum('ABOLISHED'), effectiveOn: today }],
  'Mutation.reportContacts': [{ caseReference: 'SUBGRAPH-1', name: '王红', idNumber: DEMO_PEOPLE[0].idNumber, homeRegionCode: '999999', regionCode: '999999', exposureDate: today }],
};

/** Whether only CARRIER may ask for the field (`@auth(requires: [CARRIER])`). */
function carrierOnly(field: GraphQLField<unknown, unknown>): boolean {
  const requires = field.astNode?.directives?.find((d) => d.name.value === 'auth')?.arguments?.find((a) => a.name.value === 'requires')?.value;
  return requires?.kind === 'ListValue' && requires.values.every((v) => v.kind === 'EnumValue' && v.value === 'CARRIER');
}

/** One operation per root field and per entity of the subgraph, selecting every field to depth 3, with the key that may ask. */
function operationsOf(name: SubgraphName, personId: string): [string, string][] {
  const schema = buildSubgraph(name);
  const operations: [string, string][] = [];
  for (const [keyword, type] of [['query', schema.getQueryType()], ['mutation', schema.getMutationType()]] as const) {
    for (const field of Object.values(type?.getFields() ?? {})) {
      if (field.name.startsWith('_')) continue;
      const selected = fieldSelection(type!.name, field, 3);
      if (!selected) throw new Error(`no value for a required argument of ${type!.name}.${field.name}: add it to ARGUMENTS`);
      operations.push([`${keyword} { ${selected} }`, carrierOnly(field) ? CARRIER : HEALTH]);
    }
  }
  const representations: Record<string, object[]> = {
    Region: [{ __typename: 'Region', code: '420106' }, { __typename: 'Region', code: '420000' }],
    Person: [{ __typename: 'Person', id: personId }],
  };
  for (const [typeName, refs] of Object.entries(representations)) {
    const type = schema.getType(typeName);
    if (!type || !isObjectType(type)) continue;
    operations.push([`query { _entities(representations: ${literal(refs)}) { ... on ${typeName} { ${selection(type, 3)} } } }`, HEALTH]);
  }
  return operations;
}

function selection(type: GraphQLObjectType, depth: number): string {
  return ['__typename', ...Object.values(type.getFields()).map((f) => fieldSelection(type.name, f, depth))].filter(Boolean).join(' ');
}

/** `field(args) { … }`, or null when a required argument has no value or the depth is spent. */
function fieldSelection(typeName: string, field: GraphQLField<unknown, unknown>, depth: number): string | null {
  const args: string[] = [];
  for (const arg of field.args) {
    const value = arg.name === 'input' ? INPUTS[`${typeName}.${field.name}`] : ARGUMENTS[arg.name];
    if (value !== undefined) args.push(`${arg.name}: ${literal(value)}`);
    else if (isNonNullType(arg.type) && arg.defaultValue === undefined) return null;
  }
  const head = args.length > 0 ? `${field.name}(${args.join(', ')})` : field.name;
  const named = getNamedType(field.type);
  if (isLeafType(named)) return head;
  if (!isObjectType(named) || depth === 0) return null;
  return `${head} { ${selection(named, depth - 1)} }`;
}

function literal(value: unknown): string {
  if (value instanceof Enum) return value.value;
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (value !== null && typeof value === 'object') return `{ ${Object.entries(value).map(([k, v]) => `${k}: ${literal(v)}`).join(', ')} }`;
  return JSON.stringify(value);
}

describe('a subgraph process (npm run start:subgraph) given unreachable URLs for the sources it does not read', () => {
  const processes: ChildProcess[] = [];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'changxing-subgraph-'));
  afterAll(async () => {
    await Promise.all(processes.map((p) => (p.exitCode === null ? new Promise((resolve) => (p.once('exit', resolve), p.kill('SIGTERM'))) : null)));
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function startSubgraph(name: SubgraphName, urls: Record<string, string>) {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../../src/federation/run.ts'), name], {
      cwd: path.resolve(__dirname, '../..'),
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        DATA_DIR: dataDir,
        ID_HASH_SECRET: TEST_ID_HASH_SECRET,
        SUBGRAPH_SECRET: secret,
        [`${name.toUpperCase()}_SUBGRAPH_PORT`]: String(port),
        ...urls,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    processes.push(child);
    const url = `http://127.0.0.1:${port}`;
    const started = await new Promise<{ ok: true } | { ok: false; code: number | null; output: string }>((resolve) => {
      let output = '';
      const timer = setTimeout(() => resolve({ ok: false, code: null, output: `did not start within 40 s: ${output}` }), 40000);
      const listen = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(`subgraph ${name} listening`)) {
          clearTimeout(timer);
          resolve({ ok: true });
        }
      };
      child.stdout!.on('data', listen);
      child.stderr!.on('data', listen);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ ok: false, code, output });
      });
    });
    const gql = (query: string, headers: Record<string, string> = {}): Promise<GraphQLResponse> =>
      postGraphQL(url, query, undefined, { [SUBGRAPH_SECRET_HEADER]: secret, ...headers });
    return { started, url, gql };
  }

  it('region (region + access) with the case and mobility databases unreachable: ready, and answers', async () => {
    const region = await startSubgraph('region', { DATABASE_URL: testDatabaseUrl(), CASE_DATABASE_URL: UNREACHABLE, MOBILITY_DATABASE_URL: UNREACHABLE });
    expect(region.started).toEqual({ ok: true });
    const ready = await fetch(`${region.url}/readyz`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({
      status: 200,
      body: { status: 'ready', checks: { region: 'ok', access: 'ok', migrations: 'ok' } },
    });
    const regions = await region.gql('{ regions(level: PROVINCE, first: 2) { totalCount nodes { code children(first: 1) { nodes { code } } } } }', { authorization: HEALTH });
    expect(regions.body.errors).toBeUndefined();
    expect(regions.body.data.regions.totalCount).toBeGreaterThan(30);
    expect(regions.body.extensions.sql.bySource).toMatchObject({ cases: 0, mobility: 0 });
    const entity = await region.gql('{ _entities(representations: [{ __typename: "Region", code: "420106" }]) { ... on Region { code parent { code } } } }');
    expect(entity.body).toMatchObject({ data: { _entities: [{ code: '420106', parent: { code: '420100' } }] } });
  });

  it('case (region + cases + access) with the mobility database unreachable: ready, and answers', async () => {
    const cases = await startSubgraph('case', { DATABASE_URL: testDatabaseUrl(), MOBILITY_DATABASE_URL: UNREACHABLE });
    expect(cases.started).toEqual({ ok: true });
    const ready = await fetch(`${cases.url}/readyz`);
    expect(((await ready.json()) as { checks: unknown }).checks).toEqual({ region: 'ok', cases: 'ok', access: 'ok', migrations: 'ok' });
    const res = await cases.gql(
      '{ apiInfo { latestReportDate } _entities(representations: [{ __typename: "Region", code: "420000" }]) { ... on Region { caseSummary { newConfirmed } risk { level } } } }',
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.apiInfo.latestReportDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(res.body.data._entities[0].risk.level).toMatch(/^(LOW|MEDIUM|HIGH)$/);
  });

  it('but not with a database it reads unreachable: region without its access database does not start', async () => {
    const region = await startSubgraph('region', { DATABASE_URL: testDatabaseUrl(), ACCESS_DATABASE_URL: UNREACHABLE });
    expect(region.started).toMatchObject({ ok: false, code: 1 });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
