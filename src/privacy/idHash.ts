import { createHmac } from 'node:crypto';

/**
 * The only form in which a resident ID number is ever stored: HMAC-SHA256 keyed with
 * ID_HASH_SECRET. A plain SHA-256 would be reversible by enumerating the ~10^11 valid numbers;
 * the key makes that impossible without the server secret. Callers normalise first (upper-case X).
 */
/**
 * The audit trail's pseudonym of a PUBLIC caller (`publicCallerOf`: its IPv4 address or IPv6 /64):
 * HMAC-SHA256 keyed with ID_HASH_SECRET, under a label of its own so that it can never equal an ID
 * number's hash, cut to 16 bytes, base64url (22 characters). Linkable across rows, not reversible
 * without the secret (2^32 IPv4 addresses would be enumerable under a plain hash).
 */
export function callerPseudonym(caller: string, secret: string): string {
  return createHmac('sha256', secret).update(`audit caller\0${caller}`, 'utf8').digest().subarray(0, 16).toString('base64url');
}

export function hashIdNumber(idNumber: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(idNumber, 'utf8').digest();
}
