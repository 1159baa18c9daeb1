import { createHash, createPrivateKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT, createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import {
  createPassSigner,
  generatePassSigningKey,
  passValidUntil,
  type PassSigner,
  type PassVerification,
} from '../../src/pass/token';

const ISSUED_AT = new Date('2026-11-25T03:00:00Z'); // 11:00 CST
const VALID_UNTIL = new Date('2026-11-25T16:00:00Z'); // 24:00 CST
const DURING = new Date('2026-11-25T04:00:00Z');

let pem: string;
let signer: PassSigner;
let foreignPem: string;
let foreign: PassSigner;

beforeAll(async () => {
  pem = generatePassSigningKey();
  signer = await createPassSigner(pem);
  foreignPem = generatePassSigningKey();
  foreign = await createPassSigner(foreignPem);
});

function segment(token: string, i: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[i], 'base64url').toString('utf8')) as Record<string, unknown>;
}

function encode(json: object): string {
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

async function issue(passId = randomUUID()): Promise<string> {
  return signer.sign({ passId, issuedAt: ISSUED_AT, validUntil: VALID_UNTIL });
}

/** A token signed with our own private key but with header and claims of the test's choosing. */
async function signRaw(header: Record<string, string>, claims: Record<string, unknown>, keyPem = pem): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', ...header }).sign(createPrivateKey(keyPem));
}

function goodClaims(): Record<string, unknown> {
  return { iss: 'changxing', jti: randomUUID(), iat: ISSUED_AT.getTime() / 1000, exp: VALID_UNTIL.getTime() / 1000 };
}

function expectInvalid(result: PassVerification, reason?: string): void {
  expect(result.status).toBe('INVALID');
  if (reason !== undefined) expect(result).toEqual({ status: 'INVALID', reason });
}

describe('passValidUntil', () => {
  it.each([
    ['2026-11-25T15:59:59Z', '2026-11-25T16:00:00Z'], // 23:59:59 CST: until midnight, one second later
    ['2026-11-25T16:00:00Z', '2026-11-26T16:00:00Z'], // 00:00 CST the next day: a full day
    ['2026-11-25T00:00:00Z', '2026-11-25T16:00:00Z'], // 08:00 CST
    ['2026-11-24T23:30:00Z', '2026-11-25T16:00:00Z'], // 07:30 CST, still the previous UTC day
    ['2024-02-28T16:00:00Z', '2024-02-29T16:00:00Z'], // leap day
  ])('a pass issued at %s is valid until %s', (at, until) => {
    expect(passValidUntil(new Date(at)).toISOString()).toBe(new Date(until).toISOString());
  });

  it('fails fast on an Invalid Date', () => {
    expect(() => passValidUntil(new Date('nope'))).toThrow(/valid Date/);
  });
});

describe('a pass token', () => {
  it('round-trips its pass id and validity', async () => {
    const passId = randomUUID();
    const token = await issue(passId);
    expect(await signer.verify(token, DURING)).toEqual({
      status: 'VALID',
      passId,
      issuedAt: ISSUED_AT,
      validUntil: VALID_UNTIL,
    });
  });

  it('carries only the pass id and validity: no name, ID number or colour', async () => {
    const token = await issue();
    expect(Object.keys(segment(token, 1)).sort()).toEqual(['exp', 'iat', 'iss', 'jti']);
    expect(segment(token, 0)).toEqual({ alg: 'EdDSA', typ: 'changxing-pass+jwt', kid: signer.kid });
    expect(token.length).toBeLessThan(400);
  });

  it('stores times as whole seconds (JWT NumericDate)', async () => {
    const token = await signer.sign({
      passId: randomUUID(),
      issuedAt: new Date('2026-11-25T03:00:00.987Z'),
      validUntil: VALID_UNTIL,
    });
    expect(await signer.verify(token, DURING)).toMatchObject({ issuedAt: ISSUED_AT });
  });

  it('is EXPIRED from its validUntil on, still naming the pass', async () => {
    const passId = randomUUID();
    const token = await issue(passId);
    expect((await signer.verify(token, new Date(VALID_UNTIL.getTime() - 1000))).status).toBe('VALID');
    expect(await signer.verify(token, VALID_UNTIL)).toEqual({ status: 'EXPIRED', passId, validUntil: VALID_UNTIL });
    expect(await signer.verify(token, new Date('2027-01-01T00:00:00Z'))).toMatchObject({ status: 'EXPIRED' });
  });

  it('answers a token it has verified before exactly as a fresh signer does (remembered tokens)', async () => {
    const token = await issue();
    const fresh = await createPassSigner(pem);
    for (const at of [DURING, new Date(VALID_UNTIL.getTime() - 1), VALID_UNTIL, new Date(VALID_UNTIL.getTime() + 999), new Date('2027-01-01T00:00:00Z')]) {
      expect(await signer.verify(token, at)).toEqual(await fresh.verify(token, at));
      expect(await signer.verify(token, at)).toEqual(await fresh.verify(token, at));
    }
    // Remembering is by the exact text: one changed character is verified, and refused, anew.
    const [header, payload, signature] = token.split('.');
    const flipped = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BA' : 'AA'}`;
    expectInvalid(await signer.verify(flipped, DURING));
  });

  it('verifies against the current time by default', async () => {
    // An hour's validity rather than passValidUntil, so that the test cannot straddle midnight CST.
    const issuedAt = new Date();
    const token = await signer.sign({ passId: randomUUID(), issuedAt, validUntil: new Date(issuedAt.getTime() + 3_600_000) });
    expect((await signer.verify(token)).status).toBe('VALID');
    const yesterday = new Date(Date.now() - 86_400_000);
    const stale = await signer.sign({ passId: randomUUID(), issuedAt: yesterday, validUntil: passValidUntil(yesterday) });
    expect((await signer.verify(stale)).status).toBe('EXPIRED');
  });
});

describe('verify refuses', () => {
  it('a token whose payload was changed', async () => {
    const [header, , signature] = (await issue()).split('.');
    const longer = { ...goodClaims(), exp: VALID_UNTIL.getTime() / 1000 + 86_400 };
    expectInvalid(await signer.verify(`${header}.${encode(longer)}.${signature}`, DURING), 'signature does not verify');
  });

  it('a token whose signature was changed', async () => {
    const token = await issue();
    const [header, payload, signature] = token.split('.');
    const i = 20; // not the last character, whose low bits base64url ignores
    const flipped = signature.slice(0, i) + (signature[i] === 'A' ? 'B' : 'A') + signature.slice(i + 1);
    expectInvalid(await signer.verify(`${header}.${payload}.${flipped}`, DURING), 'signature does not verify');
  });

  it('a token signed by another key', async () => {
    const token = await foreign.sign({ passId: randomUUID(), issuedAt: ISSUED_AT, validUntil: VALID_UNTIL });
    expectInvalid(await signer.verify(token, DURING), 'unknown signing key');
  });

  it('a token signed by another key that claims our kid', async () => {
    const token = await signRaw({ typ: 'changxing-pass+jwt', kid: signer.kid }, goodClaims(), foreignPem);
    expectInvalid(await signer.verify(token, DURING), 'signature does not verify');
  });

  it('an expired token signed by another key as INVALID, not EXPIRED', async () => {
    const token = await foreign.sign({ passId: randomUUID(), issuedAt: ISSUED_AT, validUntil: VALID_UNTIL });
    expectInvalid(await signer.verify(token, new Date('2027-01-01T00:00:00Z')));
  });

  it("an unsigned 'alg: none' token, with or without a signature segment", async () => {
    const header = encode({ alg: 'none', typ: 'changxing-pass+jwt', kid: signer.kid });
    const body = `${header}.${encode(goodClaims())}`;
    expectInvalid(await signer.verify(`${body}.`, DURING));
    expectInvalid(await signer.verify(`${body}.AAAA`, DURING), 'algorithm not allowed');
  });

  it('an HS256 token keyed with our public key (algorithm confusion)', async () => {
    const publicX = Buffer.from(signer.jwks().keys[0].x, 'base64url');
    const token = await new SignJWT(goodClaims())
      .setProtectedHeader({ alg: 'HS256', typ: 'changxing-pass+jwt', kid: signer.kid })
      .sign(publicX);
    expectInvalid(await signer.verify(token, DURING), 'algorithm not allowed');
  });

  it('a JWT of another type, issuer or without a pass id, even when signed by our key', async () => {
    const kid = signer.kid;
    const { jti: _jti, ...withoutJti } = goodClaims();
    expectInvalid(await signRawAndVerify({ typ: 'JWT', kid }, goodClaims()), 'claim typ check_failed');
    expectInvalid(await signRawAndVerify({ kid }, goodClaims()), 'claim typ check_failed');
    expectInvalid(await signRawAndVerify({ typ: 'changxing-pass+jwt', kid }, { ...goodClaims(), iss: 'other' }), 'claim iss check_failed');
    expectInvalid(await signRawAndVerify({ typ: 'changxing-pass+jwt', kid }, withoutJti), 'claim jti missing');
    expectInvalid(await signRawAndVerify({ typ: 'changxing-pass+jwt', kid }, { ...goodClaims(), jti: 42 }), 'claims malformed');
  });

  it.each([
    ['an empty string', ''],
    ['one segment', 'abc'],
    ['two segments', 'abc.def'],
    ['four segments', 'abc.def.ghi.jkl'],
    ['garbage segments', 'abc.def.ghi'],
    ['a header that is not JSON', `${Buffer.from('nope').toString('base64url')}.e30.AAAA`],
    ['a header that is a JSON array', `${encode([1])}.e30.AAAA`],
    ['whitespace', ' x.y.z '],
    ['characters outside base64url', 'ab+/.cd=.ef'],
    ['non-ASCII text', '畅行码.畅行码.畅行码'],
  ])('%s, without throwing', async (_what, token) => {
    expectInvalid(await signer.verify(token, DURING));
  });

  it('a token over 2 KB, without parsing it', async () => {
    const [header, , signature] = (await issue()).split('.');
    const padded = `${header}.${encode({ ...goodClaims(), pad: 'x'.repeat(2048) })}.${signature}`;
    expectInvalid(await signer.verify(padded, DURING), 'token too long');
  });

  it('every single-character change of a genuine token', async () => {
    const token = await issue();
    const results: PassVerification[] = [];
    for (let i = 0; i < token.length; i++) {
      if (token[i] === '.') continue;
      const replacement = token[i] === 'Q' ? 'R' : 'Q';
      results.push(await signer.verify(token.slice(0, i) + replacement + token.slice(i + 1), DURING));
    }
    expect(results.length).toBeGreaterThan(200);
    expect(results.filter((r) => r.status !== 'INVALID')).toEqual([]);
  });

  it('a genuine signature spelled with other unused bits in its last character (base64url malleability)', async () => {
    const token = await issue();
    expect((await signer.verify(token, DURING)).status).toBe('VALID');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const segments = token.split('.');
    // 64 signature bytes are 86 characters: 516 bits, the last character's low 4 bits unused.
    expect(segments[2].length % 4).toBe(2);
    const last = alphabet.indexOf(segments[2].at(-1)!);
    const variants = [1, 2, 3, 4, 5, 6, 7, 8, 15].map((bits) => `${segments[0]}.${segments[1]}.${segments[2].slice(0, -1)}${alphabet[last ^ bits]}`);
    for (const variant of variants) {
      // the same signature bytes: a lenient decoder cannot tell the spellings apart
      expect(Buffer.from(variant.split('.')[2], 'base64url')).toEqual(Buffer.from(segments[2], 'base64url'));
      expectInvalid(await signer.verify(variant, DURING), 'non-canonical encoding');
    }
  });

  async function signRawAndVerify(header: Record<string, string>, claims: Record<string, unknown>): Promise<PassVerification> {
    return signer.verify(await signRaw(header, claims), DURING);
  }
});

describe('sign', () => {
  it('fails fast on a pass id that is not a UUID', async () => {
    await expect(signer.sign({ passId: '王红', issuedAt: ISSUED_AT, validUntil: VALID_UNTIL })).rejects.toThrow(
      /passId to be a UUID/,
    );
  });

  it('fails fast when validUntil is not after issuedAt', async () => {
    await expect(signer.sign({ passId: randomUUID(), issuedAt: VALID_UNTIL, validUntil: VALID_UNTIL })).rejects.toThrow(
      /validUntil after issuedAt/,
    );
  });
});

describe('the signing key', () => {
  it('is named by the RFC 7638 thumbprint of its public key', () => {
    const { x } = signer.jwks().keys[0];
    const canonical = JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x }); // required members, sorted, no spaces
    expect(signer.kid).toBe(createHash('sha256').update(canonical).digest('base64url'));
    expect(foreign.kid).not.toBe(signer.kid);
  });

  it('is published as a JWKS with the public part only', () => {
    const { keys } = signer.jwks();
    expect(keys).toHaveLength(1);
    expect(Object.keys(keys[0]).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: signer.kid, alg: 'EdDSA', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('lets a partner verify passes offline from the JWKS alone', async () => {
    const token = await issue();
    // As fetched from /.well-known/jwks.json.
    const published = JSON.parse(JSON.stringify(signer.jwks())) as JSONWebKeySet;
    const { payload } = await jwtVerify(token, createLocalJWKSet(published), { currentDate: DURING });
    expect(payload.iss).toBe('changxing');
  });

  it('must be a PKCS#8 PEM, and the error does not echo it', async () => {
    const notPem = 'secret-material-that-must-not-leak';
    await expect(createPassSigner(notPem)).rejects.toThrow(/PKCS#8 PEM private key/);
    await expect(createPassSigner(notPem)).rejects.not.toThrow(/secret-material/);
  });

  it('must be Ed25519', async () => {
    const ed448 = generateKeyPairSync('ed448').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(createPassSigner(ed448)).rejects.toThrow(/Ed25519 key in PASS_SIGNING_KEY, got ed448/);
  });
});
