// Password-protected private keys: PKCS#8 EncryptedPrivateKeyInfo with PBES2 (RFC 8018), as
// `imgtool keygen -p` (Python cryptography's BestAvailableEncryption) and OpenSSL write them:
// PBKDF2-HMAC-SHA256 with a 16-byte salt and 2048 iterations, then AES-256-CBC.

import { toBufferSource } from './bytes.ts';
import {
  DerError,
  type DerNode,
  DerTag,
  derChildren,
  derDecode,
  derEncode,
  derSequence,
  oidEncode,
  oidToString,
} from './der.ts';
import { KeyError } from './errors.ts';

const OID = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA1: '1.2.840.113549.2.7',
  hmacWithSHA256: '1.2.840.113549.2.9',
  hmacWithSHA384: '1.2.840.113549.2.10',
  hmacWithSHA512: '1.2.840.113549.2.11',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
} as const;

const PRF_HASH = new Map<string, string>([
  [OID.hmacWithSHA1, 'SHA-1'],
  [OID.hmacWithSHA256, 'SHA-256'],
  [OID.hmacWithSHA384, 'SHA-384'],
  [OID.hmacWithSHA512, 'SHA-512'],
]);

const AES_KEY_BYTES = new Map<string, number>([
  [OID.aes128Cbc, 16],
  [OID.aes192Cbc, 24],
  [OID.aes256Cbc, 32],
]);

/** What imgtool (cryptography) writes; OpenSSL's `genpkey -aes256` default is the same scheme. */
export const DEFAULT_PBKDF2_ITERATIONS = 2048;

/** The password did not decrypt the key (or none was given for an encrypted key). */
export class KeyPasswordError extends KeyError {
  override name = 'KeyPasswordError';
  constructor(
    readonly reason: 'missing' | 'wrong',
    message: string,
  ) {
    super(message);
  }
}

function children(node: DerNode | undefined, what: string): DerNode[] {
  if (node?.tag !== DerTag.SEQUENCE) throw new KeyError(`${what} is not a DER SEQUENCE`);
  return derChildren(node);
}

function oidOf(node: DerNode | undefined, what: string): string {
  if (node?.tag !== DerTag.OID) throw new KeyError(`${what} has no algorithm OID`);
  return oidToString(node.value);
}

function integerValue(node: DerNode): number {
  let n = 0;
  for (const b of node.value) n = n * 256 + b;
  return n;
}

interface Pbes2Params {
  salt: Uint8Array;
  iterations: number;
  prfHash: string;
  keyBytes: number;
  iv: Uint8Array;
}

function parsePbes2(algId: DerNode | undefined): Pbes2Params {
  const [oidNode, params] = children(algId, 'encryption AlgorithmIdentifier');
  const scheme = oidOf(oidNode, 'encryption AlgorithmIdentifier');
  if (scheme !== OID.pbes2) {
    throw new KeyError(
      `the key is encrypted with scheme ${scheme}; only PBES2 (what imgtool and OpenSSL write) is supported`,
    );
  }
  const [kdf, cipher] = children(params, 'PBES2 parameters');
  const [kdfOid, kdfParams] = children(kdf, 'PBES2 key derivation');
  if (oidOf(kdfOid, 'PBES2 key derivation') !== OID.pbkdf2) {
    throw new KeyError('the key uses a PBES2 key derivation other than PBKDF2 (e.g. scrypt); not supported');
  }
  const [salt, iterations, ...rest] = children(kdfParams, 'PBKDF2 parameters');
  if (salt?.tag !== DerTag.OCTET_STRING || iterations?.tag !== DerTag.INTEGER) {
    throw new KeyError('malformed PBKDF2 parameters');
  }
  const prfNode = rest.find((n) => n.tag === DerTag.SEQUENCE);
  const prfOid = prfNode ? oidOf(derChildren(prfNode)[0], 'PBKDF2 PRF') : OID.hmacWithSHA1;
  const prfHash = PRF_HASH.get(prfOid);
  if (!prfHash) throw new KeyError(`unsupported PBKDF2 PRF ${prfOid}`);
  const [cipherOid, iv] = children(cipher, 'PBES2 cipher');
  const cipherName = oidOf(cipherOid, 'PBES2 cipher');
  const keyBytes = AES_KEY_BYTES.get(cipherName);
  if (!keyBytes || iv?.tag !== DerTag.OCTET_STRING || iv.value.length !== 16) {
    throw new KeyError(`unsupported PBES2 cipher ${cipherName}; AES-128/192/256-CBC are supported`);
  }
  return { salt: salt.value, iterations: integerValue(iterations), prfHash, keyBytes, iv: iv.value };
}

async function deriveAesKey(password: string, p: Pbes2Params, usage: KeyUsage): Promise<CryptoKey> {
  const subtle = globalThis.crypto.subtle;
  const base = await subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, [
    'deriveKey',
  ]);
  return subtle.deriveKey(
    { name: 'PBKDF2', salt: toBufferSource(p.salt), iterations: p.iterations, hash: p.prfHash },
    base,
    { name: 'AES-CBC', length: p.keyBytes * 8 },
    false,
    [usage],
  );
}

/** EncryptedPrivateKeyInfo DER → the PKCS#8 PrivateKeyInfo inside. Wrong password → KeyPasswordError. */
export async function decryptPkcs8(encrypted: Uint8Array, password: string): Promise<Uint8Array> {
  let algId: DerNode | undefined;
  let data: DerNode | undefined;
  try {
    [algId, data] = children(derDecode(encrypted), 'EncryptedPrivateKeyInfo');
  } catch (e) {
    if (e instanceof DerError) throw new KeyError(`encrypted private key is not valid DER: ${e.message}`);
    throw e;
  }
  if (data?.tag !== DerTag.OCTET_STRING) throw new KeyError('EncryptedPrivateKeyInfo has no encrypted data');
  const params = parsePbes2(algId);
  const key = await deriveAesKey(password, params, 'decrypt');
  let plain: Uint8Array;
  try {
    plain = new Uint8Array(
      await globalThis.crypto.subtle.decrypt(
        { name: 'AES-CBC', iv: toBufferSource(params.iv) },
        key,
        toBufferSource(data.value),
      ),
    );
  } catch {
    // CBC padding that does not check out is how a wrong password shows.
    throw new KeyPasswordError('wrong', 'wrong password for the encrypted private key');
  }
  try {
    const node = derDecode(plain);
    if (node.tag !== DerTag.SEQUENCE) throw new DerError('not a SEQUENCE');
  } catch {
    throw new KeyPasswordError('wrong', 'wrong password for the encrypted private key');
  }
  return plain;
}

/** PKCS#8 PrivateKeyInfo → EncryptedPrivateKeyInfo (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC). */
export async function encryptPkcs8(
  pkcs8: Uint8Array,
  password: string,
  options: { iterations?: number; salt?: Uint8Array; iv?: Uint8Array } = {},
): Promise<Uint8Array> {
  if (password.length === 0) throw new KeyError('the password for the private key must not be empty');
  const params: Pbes2Params = {
    salt: options.salt ?? globalThis.crypto.getRandomValues(new Uint8Array(16)),
    iterations: options.iterations ?? DEFAULT_PBKDF2_ITERATIONS,
    prfHash: 'SHA-256',
    keyBytes: 32,
    iv: options.iv ?? globalThis.crypto.getRandomValues(new Uint8Array(16)),
  };
  const key = await deriveAesKey(password, params, 'encrypt');
  const cipherText = new Uint8Array(
    await globalThis.crypto.subtle.encrypt(
      { name: 'AES-CBC', iv: toBufferSource(params.iv) },
      key,
      toBufferSource(pkcs8),
    ),
  );
  const iterations = derEncode(DerTag.INTEGER, bigEndianUnsigned(params.iterations));
  const algId = derSequence([
    oidEncode(OID.pbes2),
    derSequence([
      derSequence([
        oidEncode(OID.pbkdf2),
        derSequence([
          derEncode(DerTag.OCTET_STRING, params.salt),
          iterations,
          derSequence([oidEncode(OID.hmacWithSHA256), derEncode(DerTag.NULL, new Uint8Array(0))]),
        ]),
      ]),
      derSequence([oidEncode(OID.aes256Cbc), derEncode(DerTag.OCTET_STRING, params.iv)]),
    ]),
  ]);
  return derSequence([algId, derEncode(DerTag.OCTET_STRING, cipherText)]);
}

/** Minimal DER INTEGER content for a non-negative number. */
function bigEndianUnsigned(n: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || bytes[0]! & 0x80) bytes.unshift(0);
  return Uint8Array.from(bytes);
}
