import { startFederatedStack, subgraphFetches, type FederatedStack } from '../helpers/federation';
import { operation } from '../helpers/operations';
import { persistedGetPath, wire } from '../helpers/wire';
import { sha256 } from '../../src/documents/manifest';
import { demoPerson } from '../../src/seed/demoPeople';
import { todayCst } from '../../src/clock';
import { closePools, type Pools } from '../../src/db/pools';
import { poolsFor } from '../helpers/pools';
import { seededCopy, type OwnDatabase } from '../helpers/fixtures';

const HEALTH = { authorization: 'Bearer demo-health' };
const county = '130107'; // 井陉矿区, 石家庄
const MAP = operation('NationalRiskMap');
const json = { 'content-type': 'application/json' };

// ingestion here changes the national map: a copy of the seed of this suite's own
let db: OwnDatabase;
let stack: FederatedStack;
let pools: Pools;
beforeAll(async () => {
  db = await seededCopy('federation_wire');
  stack = await startFederatedStack(db.url);
  pools = poolsFor(db.url, 2);
}, 90000);
afterAll(async () => {
  await stack?.close();
  if (pools) await closePools(pools);
  await db?.drop();
});

const postMap = (headers: Record<string, string> = {}) => wire(`${stack.url}/graphql`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify({ query: MAP }) });
const getMap = (headers: Record<string, string> = {}) => wire(`${stack.url}${persistedGetPath(sha256(MAP))}`, { headers: { 'apollo-require-preflight': 'true', ...headers } });

describe('the gateway\'s response cache, compression and conditional GETs', () => {
  it('answers a repeated national map from its cache without asking a subgraph, compressed, until the data version moves', async () => {
    const miss = await postMap();
    expect(miss.status).toBe(200);
    expect(miss.headers['x-changxing-cache']).toBeUndefined();
    const fetches = await subgraphFetches(stack);
    const hit = await postMap({ 'accept-encoding': 'br' });
    expect(hit.headers['x-changxing-cache']).toBe('hit');
    expect(hit.headers['content-encoding']).toBe('br');
    expect(hit.headers.vary).toMatch(/Accept-Encoding/i);
    expect(hit.text).toBe(miss.text);
    expect(hit.bytes.length).toBeLessThan(miss.bytes.length / 10);
    expect(await subgraphFetches(stack)).toBe(fetches);

    const reported = await stack.gql(operation('ReportDailyCases'), { input: [{ regionCode: county, date: todayCst(), newConfirmed: 5 }] }, HEALTH);
    expect(reported.body.data.reportDailyCases.accepted).toBe(1);
    const after = await postMap({ 'accept-encoding': 'gzip' });
    expect(after.headers['x-changxing-cache']).toBeUndefined();
    expect(after.headers['content-encoding']).toBe('gzip');
    const row = JSON.parse(after.text).data.counties.nodes.find((c: { code: string }) => c.code === county);
    expect(row.caseSummary.newConfirmed).toBeGreaterThanOrEqual(5);
    expect(await subgraphFetches(stack)).toBeGreaterThan(fetches);
  });

  it('answers a GET by hash with a strong tag and Cache-Control, then 304 with no body', async () => {
    const first = await getMap({ 'accept-encoding': 'br' });
    expect(first.status).toBe(200);
    expect(first.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}-br"$/);
    expect(first.headers['cache-control']).toBe('public, max-age=0, s-maxage=10, stale-while-revalidate=20');
    const again = await getMap({ 'accept-encoding': 'br', 'if-none-match': first.headers.etag! });
    expect(again.status).toBe(304);
    expect(again.bytes.length).toBe(0);
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(again.headers['content-type']).toBeUndefined();
  });

  it('sends every answer in the media type the client asked for: small or large, as text or compressed, missed or hit', async () => {
    // One entry serves every media type (its body is the same): the type is the request's, never the entry's.
    const [gqlResponse, jsonType] = ['application/graphql-response+json; charset=utf-8', 'application/json; charset=utf-8'];
    const [seen, want]: string[][] = [[], []];
    for (const query of ['{ __typename }', MAP]) {
      for (const accept of ['application/graphql-response+json', 'application/json', '*/*', undefined]) {
        for (const coding of ['br', undefined]) {
          const answer = await wire(`${stack.url}/graphql`, {
            method: 'POST',
            headers: { ...json, ...(accept ? { accept } : {}), ...(coding ? { 'accept-encoding': coding } : {}) },
            body: JSON.stringify({ query }),
          });
          expect(answer.status).toBe(200);
          expect(JSON.parse(answer.text).data).toBeTruthy();
          const request = `${query === MAP ? 'map' : '__typename'} ${accept ?? '-'} ${coding ?? '-'}`;
          // the first of each query may be a miss (the national map may be kept from the tests above), the rest are hits
          const first = accept === 'application/graphql-response+json' && coding === 'br';
          seen.push(`${request}: ${answer.headers['content-type']} ${answer.headers['content-encoding'] ?? 'identity'} ${first ? '' : (answer.headers['x-changxing-cache'] ?? 'miss')}`);
          // { __typename } is under the 1 KiB from which answers are compressed
          want.push(`${request}: ${accept === 'application/graphql-response+json' ? gqlResponse : jsonType} ${query === MAP && coding ? coding : 'identity'} ${first ? '' : 'hit'}`);
        }
      }
    }
    expect(seen).toEqual(want);
  });

  it('never caches a personal read: each self-check reaches its subgraph and is audited, and is sent no-store', async () => {
    const li = demoPerson('liCheng');
    const count = async () => (await pools.access.query(`SELECT count(*)::int AS n FROM access.audit_log WHERE operation = 'closeContactCheck'`)).rows[0].n as number;
    const before = await count();
    for (let i = 0; i < 2; i++) {
      const answer = await wire(`${stack.url}/graphql`, {
        method: 'POST',
        headers: { ...json, 'accept-encoding': 'br' },
        body: JSON.stringify({ query: operation('CloseContactCheck'), variables: { name: li.name, idNumber: li.idNumber } }),
      });
      expect(answer.status).toBe(200);
      expect(answer.headers['x-changxing-cache']).toBeUndefined();
      expect(answer.headers['cache-control']).toBe('no-store');
    }
    expect(await count()).toBe(before + 2);
  });
});
