// SHA-2 digests through WebCrypto.

import { toBufferSource } from './bytes.ts';
import type { HashAlgorithm } from './format.ts';

export const WEBCRYPTO_HASH: Readonly<Record<HashAlgorithm, string>> = {
  sha256: 'SHA-256',
  sha384: 'SHA-384',
  sha512: 'SHA-512',
};

export const HASH_SIZE: Readonly<Record<HashAlgorithm, number>> = { sha256: 32, sha384: 48, sha512: 64 };

export async function digest(algorithm: HashAlgorithm, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(
    await globalThis.crypto.subtle.digest(WEBCRYPTO_HASH[algorithm], toBufferSource(data)),
  );
}
