import { randomBytes, randomUUID } from 'node:crypto';
import { closePools, type Pools } from '../../src/db/pools';
import type { App } from '../../src/server';
import { SUBGRAPH_SECRET_HEADER } from '../../src/federation/names';
import { DEMO_PEOPLE } from '../../src/seed/demoPeople';
import { poolsFor } from '../helpers/pools';
import { postGraphQL, testConfig, testDatabaseUrl } from '../helpers/server';
import { startTestSubgraph } from '../helpers/federation';

/**
 * Person is an entity (`@key(fields: "id")`): another subgraph, or anyone holding the subgraph
 * secret, may ask the person subgraph for `_entities(representations: [{ __typename: "Person", id }])`.
 * That is a read of personal data like `Query.person`: HEALTH only, every person audited, and one
 * statement for the whole batch.
 */
const KEYS = { PARTNER: 'Bearer demo-partner', GOV: 'Bearer demo-gov', HEALTH: 'Bearer demo-health' } as const;
const ENTITIES = `query People($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Person { id name homeRegion { code } } }
}`;

let pools: Pools;
let app: App;
let url: string;
const secret = randomBytes(32).toString('base64url');
/** Ids of the demo people, in DEMO_PEOPLE order. */
let ids: string[];

async function entities(representations: object[], authorization?: string) {
  const requestId = `person-ref-${randomUUID()}`;
  const headers: Record<string, string> = { [SUBGRAPH_SECRET_HEADER]: secret, 'x-request-id': requestId };
  if (authorization) headers.authorization = authorization;
  const res = await postGraphQL(url, ENTITIES, { representations }, headers);
  const audit = await pools.access.query<{ operation: string; subject_person_id: string | null; outcome: string; role: string; key_id: string | null }>(
    'SELECT operation, subject_person_id, outcome, role, key_id FROM access.audit_log WHERE request_id = $1 ORDER BY id',
    [requestId],
  );
  return { ...res, audit: audit.rows };
}
const person = (id: string) => ({ __typename: 'Person', id });
/** `path code` of each error. */
const errorsOf = (body: { errors?: { path?: (string | number)[]; extensions?: Record<string, unknown> }[] }) =>
  (body.errors ?? []).map((e) => [(e.path ?? []).join('.'), e.extensions?.code]);

beforeAll(async () => {
  const databaseUrl = testDatabaseUrl();
  pools = poolsFor(databaseUrl, 4);
  const started = await startTestSubgraph('person', { config: testConfig(databaseUrl), pools, secret });
  app = started.app;
  url = `http://127.0.0.1:${started.port}`;
  ids = [];
  for (const p of DEMO_PEOPLE) {
    const res = await postGraphQL(url, 'query($n: String!) { person(idNumber: $n) { id } }', { n: p.idNumber }, { [SUBGRAPH_SECRET_HEADER]: secret, authorization: KEYS.HEALTH });
    ids.push(res.body.data.person.id);
  }
});
afterAll(async () => {
  await app?.stop();
  await closePools(pools);
});

describe('Person references (_entities) on the person subgraph', () => {
  it('give HEALTH the persons in representation order, null for an unknown or malformed id', async () => {
    const unknown = randomUUID();
    const res = await entities([person(ids[1]), person(unknown), person(ids[0]), person('not-a-uuid')], KEYS.HEALTH);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data._entities).toEqual([
      { id: ids[1], name: DEMO_PEOPLE[1].name, homeRegion: { code: expect.stringMatching(/^\d{6}$/) } },
      null,
      { id: ids[0], name: DEMO_PEOPLE[0].name, homeRegion: { code: expect.stringMatching(/^\d{6}$/) } },
      null,
    ]);
  });

  it('read the persons in one statement and write their audit rows in one more, however many are asked for', async () => {
    const few = await entities([person(ids[0])], KEYS.HEALTH);
    const many = await entities([...ids, randomUUID(), ...ids].map(person), KEYS.HEALTH);
    expect(few.body.errors).toBeUndefined();
    expect(many.body.errors).toBeUndefined();
    expect(many.body.data._entities).toHaveLength(ids.length * 2 + 1);
    // cases: PersonSource.byId; access: AuditSource.append (the key lookup is cached by then)
    expect(few.body.extensions.sql.bySource).toEqual({ region: 1, cases: 1, mobility: 0, access: 1 });
    expect(many.body.extensions.sql.bySource).toEqual(few.body.extensions.sql.bySource);
    // one row per distinct person asked for, the unknown one included
    expect(many.audit).toHaveLength(ids.length + 1);
  });

  it('audit each person read with the caller\'s role, key and request id: FOUND, or NOT_FOUND without a subject', async () => {
    const unknown = randomUUID();
    const res = await entities([person(ids[0]), person(unknown), person(ids[2])], KEYS.HEALTH);
    expect(res.body.data._entities.map((p: { id: string } | null) => p?.id ?? null)).toEqual([ids[0], null, ids[2]]);
    expect(res.audit).toEqual([
      { operation: 'personReference', subject_person_id: ids[0], outcome: 'FOUND', role: 'HEALTH', key_id: expect.any(String) },
      { operation: 'personReference', subject_person_id: null, outcome: 'NOT_FOUND', role: 'HEALTH', key_id: expect.any(String) },
      { operation: 'personReference', subject_person_id: ids[2], outcome: 'FOUND', role: 'HEALTH', key_id: expect.any(String) },
    ]);
  });

  it.each([
    ['PUBLIC', undefined],
    ['PARTNER', KEYS.PARTNER],
    ['GOV', KEYS.GOV],
  ] as const)('refuse %s: FORBIDDEN for each person, nothing read, nothing audited', async (role, authorization) => {
    const res = await entities([person(ids[0]), person(ids[1])], authorization);
    expect(res.status).toBe(200);
    expect(res.body.data._entities).toEqual([null, null]);
    expect(errorsOf(res.body)).toEqual([
      ['_entities.0', 'FORBIDDEN'],
      ['_entities.1', 'FORBIDDEN'],
    ]);
    expect(JSON.stringify(res.body)).not.toContain(DEMO_PEOPLE[0].name);
    expect(res.body.errors?.[0].message).toContain(`role ${role}`);
    expect(res.body.extensions.sql.bySource.cases).toBe(0);
    expect(res.audit).toEqual([]);
  });

  it('refuse only the Person entries of a call that also resolves Regions', async () => {
    const res = await entities([{ __typename: 'Region', code: '420106' }, person(ids[0])]);
    expect(res.body.data._entities).toEqual([{}, null]);
    expect(errorsOf(res.body)).toEqual([['_entities.1', 'FORBIDDEN']]);
  });
});
