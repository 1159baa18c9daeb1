import { createHmac } from 'node:crypto';

/**
 * The only form in which a resident ID number is ever stored: HMAC-SHA256 keyed with
 * ID_HASH_SECRET. A plain SHA-256 would be reversible by enumerating the ~10^11 valid numbers;
 * the key makes that impossible without the server secret. Callers normalise first (upper-case X).
 */
export function hashIdNumber(idNumber: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(idNumber, 'utf8').digest();
}
