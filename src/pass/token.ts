import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';

/**
 * Pass tokens (畅行码): the string inside the QR code a holder shows at a gate. A compact JWS
 * (RFC 7515) signed with Ed25519 that carries a pass id and its validity and nothing else: no
 * name, ID number or colour. Anyone who scans the code learns nothing about the holder; a
 * partner learns the colour and masked name only by asking us with the pass id, which is
 * authorised and audited. Partners may also check the signature offline with our JWKS.
 */

export interface PassSigner {
  /** kid of the signing key: the RFC 7638 JWK thumbprint of the public key. */
  kid: string;
  sign(claims: { passId: string; issuedAt: Date; validUntil: Date }): Promise<string>;
  /**
   * Checks signature (EdDSA only), key id, issuer and type, then expiry. Never throws for bad
   * input: anything that is not a pass we signed is INVALID.
   */
  verify(token: string, now?: Date): Promise<PassVerification>;
  /** The public JWKS document served at /.well-known/jwks.json. */
  jwks(): { keys: Record<string, string>[] };
}

export type PassVerification =
  | { status: 'VALID'; passId: string; issuedAt: Date; validUntil: Date }
  /** Only for a token whose signature and claims are otherwise good. */
  | { status: 'EXPIRED'; passId: string; validUntil: Date }
  /** `reason` is short and fixed, for logs and metrics: it never echoes the token. */
  | { status: 'INVALID'; reason: string };

const ALG = 'EdDSA';
const ISSUER = 'changxing';
/** Explicit typing (RFC 8725 §3.11), so that no other JWT this key might ever sign passes as a pass. */
const TYP = 'changxing-pass+jwt';
/**
 * Our tokens are about 250 bytes. Anything beyond 2 KB is not ours and is refused before it is
 * decoded or parsed, so that a flood of huge strings costs nothing.
 */
const MAX_TOKEN_LENGTH = 2048;
/** Three non-empty base64url segments; also refuses the unsigned 'alg: none' form (empty signature). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const MS_PER_DAY = 86_400_000;
/** China Standard Time is UTC+8 all year (no daylight saving since 1991), so a fixed offset is exact. */
const CST_OFFSET_MS = 8 * 3_600_000;

/**
 * A pass issued at `at` is valid until 24:00 China Standard Time of the issue day (the next
 * midnight in UTC+8), as real health codes were: a colour is a verdict on today's data.
 */
export function passValidUntil(at: Date): Date {
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new Error('passValidUntil expects a valid Date, got an Invalid Date');
  const cstDayStart = Math.floor((ms + CST_OFFSET_MS) / MS_PER_DAY) * MS_PER_DAY;
  return new Date(cstDayStart + MS_PER_DAY - CST_OFFSET_MS);
}

/** A fresh Ed25519 private key as PKCS#8 PEM (the PASS_SIGNING_KEY format). */
export function generatePassSigningKey(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * A signer for one key. Keys are imported here, once: verify hands jose the ready KeyObject,
 * which it uses as is, so each check costs one Ed25519 verification and no key parsing.
 */
export async function createPassSigner(privateKeyPem: string): Promise<PassSigner> {
  const privateKey = loadEd25519PrivateKey(privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  const { x } = publicKey.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new Error('createPassSigner: the Ed25519 public key did not export its x coordinate');
  const publicJwk = { kty: 'OKP', crv: 'Ed25519', x };
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');

  // Resolving the key through the header's kid refuses tokens of other keys before any signature work.
  const keyForKid: JWTVerifyGetKey = (header) => {
    if (header.kid !== kid) throw new errors.JWKSNoMatchingKey();
    return publicKey;
  };

  // Tokens whose signature and claims verified, by their exact text: a courier's pass is checked
  // again and again during a day, and an Ed25519 verification costs more than the rest of a check.
  // Only genuine tokens are kept (a flood of forgeries cannot fill it), bounded, oldest dropped.
  const genuine = new Map<string, { passId: string; issuedAt: Date; validUntil: Date }>();
  const remember = (token: string, claims: { passId: string; issuedAt: Date; validUntil: Date }) => {
    if (genuine.size >= VERIFIED_CACHE_ENTRIES) genuine.delete(genuine.keys().next().value!);
    genuine.set(token, claims);
  };

  return {
    kid,

    async sign({ passId, issuedAt, validUntil }) {
      if (!UUID.test(passId)) throw new Error(`PassSigner.sign expects passId to be a UUID, got ${JSON.stringify(passId)}`);
      const iat = numericDate('issuedAt', issuedAt);
      const exp = numericDate('validUntil', validUntil);
      if (exp <= iat) {
        throw new Error(
          `PassSigner.sign expects validUntil after issuedAt, got ${validUntil.toISOString()} <= ${issuedAt.toISOString()}`,
        );
      }
      return new SignJWT({})
        .setProtectedHeader({ alg: ALG, typ: TYP, kid })
        .setIssuer(ISSUER)
        .setJti(passId)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(privateKey);
    },

    async verify(token, now = new Date()) {
      if (token.length > MAX_TOKEN_LENGTH) return invalid('token too long');
      if (!COMPACT_JWS.test(token)) return invalid('not a compact JWS');
      if (!token.split('.').every(isCanonicalBase64url)) return invalid('non-canonical encoding');
      const known = genuine.get(token);
      if (known) return statusAt(known, now);
      try {
        const { payload } = await jwtVerify(token, keyForKid, {
          algorithms: [ALG],
          issuer: ISSUER,
          typ: TYP,
          requiredClaims: ['jti', 'iat', 'exp'],
          currentDate: now,
        });
        const { jti, iat, exp } = payload;
        if (typeof jti !== 'string' || typeof iat !== 'number' || typeof exp !== 'number') return invalid('claims malformed');
        const claims = { passId: jti, issuedAt: new Date(iat * 1000), validUntil: new Date(exp * 1000) };
        remember(token, claims);
        return { status: 'VALID', ...claims };
      } catch (error) {
        // jose checks the signature, then typ and iss, and only then exp: an expired token is a genuine one.
        if (error instanceof errors.JWTExpired && typeof error.payload.jti === 'string' && typeof error.payload.exp === 'number') {
          return { status: 'EXPIRED', passId: error.payload.jti, validUntil: new Date(error.payload.exp * 1000) };
        }
        return invalid(reasonFor(error));
      }
    },

    jwks() {
      // A fresh object per call: callers may serialise or decorate it without touching ours.
      return { keys: [{ ...publicJwk, kid, alg: ALG, use: 'sig' }] };
    },
  };
}

function loadEd25519PrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // The PEM is a secret: never echo it.
    throw new Error('createPassSigner expects a PKCS#8 PEM private key ("-----BEGIN PRIVATE KEY-----"); PASS_SIGNING_KEY is not one');
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`createPassSigner expects an Ed25519 key in PASS_SIGNING_KEY, got ${String(key.asymmetricKeyType)}`);
  }
  return key;
}

/** Seconds since the epoch (JWT NumericDate), failing fast on an Invalid Date. */
function numericDate(name: string, date: Date): number {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new Error(`PassSigner.sign expects ${name} to be a valid Date, got an Invalid Date`);
  return Math.floor(ms / 1000);
}

/**
 * True when `segment` is the one base64url text of the bytes it decodes to. A segment whose length is
 * not a multiple of 4 ends in a character whose low bits encode nothing (4 bits after 2 bytes' worth,
 * 2 after 1): decoders, jose's included, ignore them, so up to 16 spellings of one Ed25519 signature
 * verify. A pass token is an identifier too (cached by its text, counted, compared by partners), so
 * only the spelling we produce is accepted. Re-encoding is exact and cheap (a few hundred bytes).
 */
function isCanonicalBase64url(segment: string): boolean {
  return Buffer.from(segment, 'base64url').toString('base64url') === segment;
}

/** Genuine tokens remembered by `verify` (≈ 250 bytes each: about 5 MB at most). */
const VERIFIED_CACHE_ENTRIES = 20_000;

/** Expiry as jose decides it (no clock tolerance): expired once `exp` ≤ now, in whole seconds. */
function statusAt(claims: { passId: string; issuedAt: Date; validUntil: Date }, now: Date): PassVerification {
  return claims.validUntil.getTime() / 1000 <= Math.floor(now.getTime() / 1000)
    ? { status: 'EXPIRED', passId: claims.passId, validUntil: claims.validUntil }
    : { status: 'VALID', ...claims };
}

function invalid(reason: string): PassVerification {
  return { status: 'INVALID', reason };
}

/**
 * jose reports every defect of a token as a JOSEError. Anything else is a bug on our side, not
 * bad input, and is rethrown so that it is seen rather than counted as a forged pass.
 */
function reasonFor(error: unknown): string {
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof errors.JWKSNoMatchingKey) return 'unknown signing key';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim} ${error.reason}`;
  if (error instanceof errors.JOSEError) return 'malformed token';
  throw error;
}
