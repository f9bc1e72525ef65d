import { readFileSync } from 'node:fs';
import { generateKey, loadSigningKey, type SigningKey, type SigningKeyType } from '../../src/image/index.ts';

export const fixture = (name: string): string => new URL(`./fixtures/${name}`, import.meta.url).pathname;
export const readText = (name: string): string => readFileSync(fixture(name), 'utf8');
export const readBytes = (name: string): Uint8Array => new Uint8Array(readFileSync(fixture(name)));

export const SIGNING_TYPES: SigningKeyType[] = [
  'rsa-2048',
  'rsa-3072',
  'ecdsa-p256',
  'ecdsa-p384',
  'ed25519',
];

const cache = new Map<string, Promise<SigningKey>>();

/**
 * Key number `n` of a type, shared by the tests in a file. RSA-3072 keys come from fixtures
 * because generating them takes seconds; the others are generated.
 */
export function testKey(type: SigningKeyType, n: 0 | 1 = 0): Promise<SigningKey> {
  const id = `${type}/${n}`;
  let p = cache.get(id);
  if (!p) {
    p =
      type === 'rsa-3072'
        ? loadSigningKey(readText(`rsa-3072-${n === 0 ? 'a' : 'b'}.pem`))
        : generateKey(type).then((g) => g.key as SigningKey);
    cache.set(id, p);
  }
  return p;
}

/** A Zephyr-like app binary: `headerSize` zero bytes, then a recognisable body. */
export function appBinary(headerSize: number, bodySize: number, seed = 1): Uint8Array {
  const out = new Uint8Array(headerSize + bodySize);
  for (let i = 0; i < bodySize; i++) out[headerSize + i] = (i * 31 + seed) & 0xff;
  return out;
}
