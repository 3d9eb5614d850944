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

/**
 * A privacy key as it is stored (hex, at least {@link minimumKeyBytes} bytes, surrounding
 * whitespace ignored); undefined for anything else, so each store can say where it read it.
 */
export function privacyKeyFromHex(text: string): Uint8Array | undefined {
  const hex = text.trim();
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex) || hex.length / 2 < minimumKeyBytes) return undefined;
  return Buffer.from(hex, 'hex');
}
