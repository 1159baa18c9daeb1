import { startTestServer, type TestServer } from '../helpers/server';
import { operation } from '../helpers/operations';
import { DEMO_PEOPLE, NOBODY_ID_NUMBER } from '../../src/seed/demoPeople';
import { generatePassSigningKey, createPassSigner } from '../../src/pass/token';

const PARTNER = { authorization: 'Bearer demo-partner' };
const GOV = { authorization: 'Bearer demo-gov' };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

async function issue(name: string, idNumber: string) {
  const { body } = await server.gql(operation('IssuePass'), { name, idNumber });
  expect(body.errors).toBeUndefined();
  return body.data.issuePass;
}

describe('issuePass and checkPass: the demo people get exactly their colours', () => {
  it.each(DEMO_PEOPLE.map((p) => [p.name, p]))('%s', async (_, person) => {
    const issued = await issue(person.name, person.idNumber);
    expect(issued.userErrors).toEqual([]);
    expect(issued.pass.color).toBe(person.expectedColor);
    expect(issued.pass.reason.length).toBeGreaterThan(0);

    const { body } = await server.gql(operation('CheckPass'), { token: issued.pass.token }, PARTNER);
    expect(body.errors).toBeUndefined();
    expect(body.data.checkPass).toMatchObject({ status: 'VALID', color: person.expectedColor, validUntil: issued.pass.validUntil });
    // A partner sees a masked name, never the full one.
    expect(body.data.checkPass.holderName).not.toBe(person.name);
    expect(body.data.checkPass.holderName).toBe(`${person.name[0]}*`);
  });

  it('carries no personal data or colour in the token', async () => {
    const [person] = DEMO_PEOPLE;
    const { pass } = await issue(person.name, person.idNumber);
    const payload = JSON.parse(Buffer.from(pass.token.split('.')[1], 'base64url').toString('utf8'));
    const text = JSON.stringify(payload);
    expect(text).not.toContain(person.idNumber);
    expect(text).not.toContain(person.name);
    expect(text).not.toMatch(/RED|GREEN|YELLOW|ORANGE/);
  });

  it('answers an unmatched pair with a userError that does not reveal whether the ID exists', async () => {
    const wrongName = await issue('王白', DEMO_PEOPLE[0].idNumber);
    const nobody = await issue('王白', NOBODY_ID_NUMBER);
    expect(wrongName.pass).toBeNull();
    expect(wrongName.userErrors).toEqual(nobody.userErrors);
    expect(wrongName.userErrors[0].code).toBe('NOT_MATCHED');
  });

  it('rejects an invalid ID number with BAD_USER_INPUT naming the rule', async () => {
    const { body } = await server.gql(operation('IssuePass'), { name: '李橙', idNumber: '110105199003071238' });
    expect(body.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(body.errors![0].message).toMatch(/check/i);
    expect(body.errors![0].message).not.toContain('110105199003071238');
  });
});

describe('checkPass statuses', () => {
  it('REVOKED when the holder has issued a newer pass', async () => {
    const p = DEMO_PEOPLE[3];
    const first = await issue(p.name, p.idNumber);
    const second = await issue(p.name, p.idNumber);
    const { body } = await server.gql(operation('CheckPasses'), { tokens: [first.pass.token, second.pass.token] }, PARTNER);
    expect(body.data.checkPasses.map((c: any) => c.status)).toEqual(['REVOKED', 'VALID']);
    expect(body.data.checkPasses[0].color).toBeNull();
  });

  it('INVALID for a tampered token, a foreign key and garbage, without failing the batch', async () => {
    const p = DEMO_PEOPLE[3];
    const { pass } = await issue(p.name, p.idNumber);
    const [h, payload, sig] = pass.token.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), exp: 4102444800 })).toString('base64url')}.${sig}`;
    const foreign = await (await createPassSigner(generatePassSigningKey())).sign({ passId: '00000000-0000-4000-8000-000000000000', issuedAt: new Date(), validUntil: new Date(Date.now() + 3600_000) });
    const { body } = await server.gql(operation('CheckPasses'), { tokens: [tampered, foreign, 'not a token', '', pass.token] }, PARTNER);
    expect(body.errors).toBeUndefined();
    expect(body.data.checkPasses.map((c: any) => c.status)).toEqual(['INVALID', 'INVALID', 'INVALID', 'INVALID', 'VALID']);
    expect(body.data.checkPasses.slice(0, 4).every((c: any) => c.color === null && c.holderName === null)).toBe(true);
  });

  it('EXPIRED for a genuine pass past its validity', async () => {
    const p = DEMO_PEOPLE[3];
    const { pass } = await issue(p.name, p.idNumber);
    const passId = JSON.parse(Buffer.from(pass.token.split('.')[1], 'base64url').toString()).jti;
    // Signed by the server's own key, but with a validity that has passed.
    const expired = await server.app.signer().sign({ passId, issuedAt: new Date(Date.now() - 2 * 86400_000), validUntil: new Date(Date.now() - 86400_000) });
    const { body } = await server.gql(operation('CheckPass'), { token: expired }, PARTNER);
    expect(body.data.checkPass.status).toBe('EXPIRED');
    expect(body.data.checkPass.color).toBeNull();
  });

  it('publishes the public key so partners can verify offline', async () => {
    const res = await fetch(`${server.url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as { keys: Record<string, string>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    expect(jwks.keys[0].d).toBeUndefined();
  });

  it('refuses pass checks to roles other than PARTNER and HEALTH', async () => {
    const { body } = await server.gql(operation('CheckPass'), { token: 'x' }, GOV);
    expect(body.errors![0].extensions!.code).toBe('FORBIDDEN');
    const anon = await server.gql(operation('CheckPass'), { token: 'x' });
    expect(anon.body.errors![0].extensions!.code).toBe('FORBIDDEN');
  });

  it('rejects more than 1,000 tokens in one batch', async () => {
    const { body } = await server.gql(operation('CheckPasses'), { tokens: Array.from({ length: 1001 }, () => 'x') }, PARTNER);
    expect(body.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  });
});

describe('checkPasses round trips', () => {
  it('do not grow with batch size (1, 100, 1,000 tokens)', async () => {
    const tokens: string[] = [];
    for (const p of DEMO_PEOPLE) tokens.push((await issue(p.name, p.idNumber)).pass.token);
    const counts: Record<number, number> = {};
    for (const n of [1, 100, 1000]) {
      const batch = Array.from({ length: n }, (_, i) => tokens[i % tokens.length]);
      const { body } = await server.gql(operation('CheckPasses'), { tokens: batch }, PARTNER);
      expect(body.errors).toBeUndefined();
      expect(body.data.checkPasses).toHaveLength(n);
      counts[n] = body.extensions.sql.statements;
    }
    expect(counts[100]).toBe(counts[1]);
    expect(counts[1000]).toBe(counts[1]);
    expect(counts[1]).toBeLessThanOrEqual(10);
  });
});

const HOLDER_PASS = `query HolderPass($token: String!, $name: String!, $idNumber: String!) {
  holderPass(token: $token, name: $name, idNumber: $idNumber) {
    status
    pass { token color reason issuedAt validUntil }
    userErrors { field message code }
  }
}`;

async function holderPass(token: string, name: string, idNumber: string) {
  const { body } = await server.gql(HOLDER_PASS, { token, name, idNumber });
  expect(body.errors).toBeUndefined();
  return body.data.holderPass;
}

describe('holderPass: the holder refreshes a pass without replacing it', () => {
  it("answers the same token with today's colour and reason, and the pass stays valid for partners", async () => {
    const p = DEMO_PEOPLE.find((d) => d.expectedColor === 'YELLOW')!;
    const issued = (await issue(p.name, p.idNumber)).pass;
    const refreshed = await holderPass(issued.token, p.name, p.idNumber);
    expect(refreshed).toEqual({
      status: 'VALID',
      pass: { token: issued.token, color: 'YELLOW', reason: issued.reason, issuedAt: expect.any(String), validUntil: issued.validUntil },
      userErrors: [],
    });
    const again = await holderPass(issued.token, p.name, p.idNumber);
    expect(again.pass.token).toBe(issued.token);
    const { body } = await server.gql(operation('CheckPass'), { token: issued.token }, PARTNER);
    expect(body.data.checkPass).toMatchObject({ status: 'VALID', color: 'YELLOW' });
  });

  it('says REVOKED once a newer pass was issued and EXPIRED past validity, with no pass to show', async () => {
    const p = DEMO_PEOPLE[3];
    const first = (await issue(p.name, p.idNumber)).pass;
    const second = (await issue(p.name, p.idNumber)).pass;
    await expect(holderPass(first.token, p.name, p.idNumber)).resolves.toEqual({ status: 'REVOKED', pass: null, userErrors: [] });
    await expect(holderPass(second.token, p.name, p.idNumber)).resolves.toMatchObject({ status: 'VALID', pass: { token: second.token } });
    const passId = JSON.parse(Buffer.from(second.token.split('.')[1], 'base64url').toString()).jti;
    const expired = await server.app.signer().sign({ passId, issuedAt: new Date(Date.now() - 2 * 86400_000), validUntil: new Date(Date.now() - 86400_000) });
    await expect(holderPass(expired, p.name, p.idNumber)).resolves.toEqual({ status: 'EXPIRED', pass: null, userErrors: [] });
  });

  it("gives one NOT_MATCHED answer for a wrong name, another person's token and garbage, revealing nothing", async () => {
    const [red, , , green] = DEMO_PEOPLE;
    const greenToken = (await issue(green.name, green.idNumber)).pass.token;
    const answers = await Promise.all([
      holderPass(greenToken, '赵白', green.idNumber),
      holderPass(greenToken, red.name, red.idNumber),
      holderPass('not a token', green.name, green.idNumber),
      holderPass('x'.repeat(5000), green.name, green.idNumber),
      holderPass(greenToken, '赵白', NOBODY_ID_NUMBER),
    ]);
    for (const a of answers) expect(a).toEqual({ status: null, pass: null, userErrors: [{ field: null, message: expect.stringContaining('No record matches'), code: 'NOT_MATCHED' }] });
  });

  it('refuses an invalid ID number with BAD_USER_INPUT, and audits every refresh', async () => {
    const p = DEMO_PEOPLE[1];
    const { body } = await server.gql(HOLDER_PASS, { token: 'x', name: p.name, idNumber: '110105199003071238' });
    expect(body.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    const { token } = (await issue(p.name, p.idNumber)).pass;
    const before = await server.gql('{ auditTrail(filter: { operation: "holderPass" }, first: 1) { totalCount } }', {}, { authorization: 'Bearer demo-health' });
    await holderPass(token, p.name, p.idNumber);
    const after = await server.gql('{ auditTrail(filter: { operation: "holderPass" }, first: 1) { totalCount nodes { outcome } } }', {}, { authorization: 'Bearer demo-health' });
    expect(after.body.data.auditTrail.totalCount).toBe(before.body.data.auditTrail.totalCount + 1);
    expect(after.body.data.auditTrail.nodes[0].outcome).toBe(p.expectedColor);
  });
});
