/**
 * The serve's secret: made fresh at each start, printed once in the URL's fragment, and required
 * in the page's hello. Compared in constant time so its bytes cannot be guessed one by one from
 * how long a refusal takes. Node only.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Bits of randomness in a token (RFC 4086 asks ≥ 128 for a secret that guards access). */
export const TOKEN_BITS = 256;

/** A new token: TOKEN_BITS random bits, base64url (safe in a URL fragment without escaping). */
export function makeToken(): string {
  return randomBytes(TOKEN_BITS / 8).toString('base64url');
}

/**
 * Whether `given` is `expected`, in time that does not depend on where they differ. Both are
 * hashed first so their lengths match (timingSafeEqual needs that) without leaking the length.
 */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
