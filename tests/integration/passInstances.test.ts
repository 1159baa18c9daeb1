import { startTestServer, type GraphQLResponse, type TestServer } from '../helpers/server';
import { wire } from '../helpers/wire';
import { operation } from '../helpers/operations';
import { DEMO_PEOPLE } from '../../src/seed/demoPeople';

/**
 * PASS_CHECKS (docs/scaling.md, "Pass checks on instances of their own"): partners' pass checks served
 * by instances that serve nothing else (`dedicated`), beside general instances over the same database
 * (`elsewhere`), so that no dashboard or anonymous caller's work shares their event loop.
 */
/**
 * One POST, never repeated (node:http, tests/helpers/wire.ts). The Fetch standard has a client retry
 * a 421 once on a new connection, and undici's retry of a request with a body sometimes failed
 * (RequestContentLengthMismatchError): what a client sees of the refusal is its first answer.
 */
async function once(base: string, query: string, variables: Record<string, unknown>): Promise<{ status: number; body: GraphQLResponse['body'] }> {
  const answer = await wire(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return { status: answer.status, body: JSON.parse(answer.text) as GraphQLResponse['body'] };
}

describe('pass checks on instances of their own', () => {
  let general: TestServer;
  let dedicated: TestServer;
  let token: string;
  const PARTNER = { authorization: 'Bearer demo-partner' };
  beforeAll(async () => {
    [general, dedicated] = await Promise.all([startTestServer({ env: { PASS_CHECKS: 'elsewhere' } }), startTestServer({ env: { PASS_CHECKS: 'dedicated' } })]);
    const issued = await general.gql(operation('IssuePass'), { name: DEMO_PEOPLE[3].name, idNumber: DEMO_PEOPLE[3].idNumber });
    expect(issued.body.errors).toBeUndefined();
    token = issued.body.data.issuePass.pass.token;
  });
  afterAll(async () => {
    await Promise.all([general?.close(), dedicated?.close()]);
  });

  it('the dedicated instance checks passes issued by the general one (one and many)', async () => {
    const one = await dedicated.gql(operation('CheckPass'), { token }, PARTNER);
    expect([one.status, one.body.errors, one.body.data.checkPass.status]).toEqual([200, undefined, 'VALID']);
    const many = await dedicated.gql(operation('CheckPasses'), { tokens: [token, token] }, PARTNER);
    expect(many.body.errors).toBeUndefined();
    expect(many.body.data.checkPasses.map((r: { status: string }) => r.status)).toEqual(['VALID', 'VALID']);
  });

  it.each([
    ['an aggregate read', '{ region(code: "420106") { name } }', {}],
    ['the national map (cacheable: refused before the response cache)', operation('NationalRiskMap'), {}],
    ['a self-service lookup', operation('IssuePass'), { name: DEMO_PEOPLE[3].name, idNumber: DEMO_PEOPLE[3].idNumber }],
    ['a pass check beside another root field', `query Both($token: String!) { checkPass(token: $token) { status } region(code: "420106") { name } }`, { token: '' }],
  ])('the dedicated instance refuses %s with 421 MISDIRECTED_REQUEST and runs nothing', async (_what, query, variables) => {
    const reply = await once(dedicated.url, query, variables as Record<string, unknown>);
    expect(reply.status).toBe(421);
    expect(reply.body.data).toBeUndefined();
    expect(reply.body.errors?.map((e) => e.extensions?.code)).toEqual(['MISDIRECTED_REQUEST']);
    expect(reply.body.errors?.[0].message).toMatch(/serves pass checks \(checkPass, checkPasses\) only/);
  });

  it('the general instance still answers everything, pass checks included', async () => {
    const check = await general.gql(operation('CheckPass'), { token }, PARTNER);
    expect(check.body.data.checkPass.status).toBe('VALID');
    const region = await general.gql('{ region(code: "420106") { name } }');
    expect([region.status, region.body.data.region.name]).toEqual([200, '武昌区']);
  });
});
