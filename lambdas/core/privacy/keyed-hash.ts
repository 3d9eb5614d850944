import { createHmac } from 'node:crypto';

/**
 * The one keyed hash of the privacy features: pseudonyms, and the subject of an erasure log
 * entry. HMAC-SHA256 rather than a plain hash, so that nobody without the key can confirm a
 * guessed email by hashing it. Values are trimmed and lower-cased first, so `Ann@X.com ` and
 * `ann@x.com` stay the same person.
 */
export function keyedHash(key: Uint8Array, value: string): string {
  return createHmac('sha256', key).update(value.trim().toLowerCase(), 'utf8').digest('hex');
}

/** Shortest key accepted: HMAC-SHA256's block-size advice is 32 bytes of randomness. */
export const minimumKeyBytes = 32;
