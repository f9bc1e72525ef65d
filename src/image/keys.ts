// Keys as imgtool and MCUboot see them: PKCS#8 PEM private keys, and the public key bytes
// imgtool embeds (PKCS#1 RSAPublicKey DER for RSA, SubjectPublicKeyInfo DER otherwise).

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
import { digest } from './digest.ts';
import { KeyError } from './errors.ts';
import { type HashAlgorithm, TlvType } from './format.ts';
import { pemBlocks, pemEncode } from './pem.ts';
import { decryptPkcs8, encryptPkcs8, KeyPasswordError } from './pkcs8-encrypted.ts';

export type SigningKeyType = 'rsa-2048' | 'rsa-3072' | 'ecdsa-p256' | 'ecdsa-p384' | 'ed25519';
/** x25519 keys are for image encryption only. */
export type KeyType = SigningKeyType | 'x25519';

export const KEY_TYPES: readonly KeyType[] = [
  'rsa-2048',
  'rsa-3072',
  'ecdsa-p256',
  'ecdsa-p384',
  'ed25519',
  'x25519',
];

export interface PublicKey {
  type: KeyType;
  /** What imgtool embeds and getpub prints: PKCS#1 DER for RSA, SubjectPublicKeyInfo DER otherwise. */
  bytes: Uint8Array;
  /** SubjectPublicKeyInfo DER (what `getpub -e pem` armours, also for RSA). */
  spki: Uint8Array;
  cryptoKey: CryptoKey;
}

export interface PrivateKey {
  type: KeyType;
  privateKey: CryptoKey;
  publicKey: PublicKey;
}

export interface SigningKey extends PrivateKey {
  type: SigningKeyType;
}

/** The signature TLV each signing key type produces (imgtool key.sig_tlv()). */
export const SIGNATURE_TLV: Readonly<Record<SigningKeyType, number>> = {
  'rsa-2048': TlvType.RSA2048_PSS,
  'rsa-3072': TlvType.RSA3072_PSS,
  'ecdsa-p256': TlvType.ECDSA_SIG,
  'ecdsa-p384': TlvType.ECDSA_SIG,
  ed25519: TlvType.ED25519,
};

/** imgtool's short names, used in getpub identifiers ("rsa_pub_key"). */
export const KEY_SHORT_NAME: Readonly<Record<KeyType, string>> = {
  'rsa-2048': 'rsa',
  'rsa-3072': 'rsa',
  'ecdsa-p256': 'ecdsa',
  'ecdsa-p384': 'ecdsap384',
  ed25519: 'ed25519',
  x25519: 'x25519',
};

const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  ed25519: '1.3.101.112',
  x25519: '1.3.101.110',
} as const;

type ImportParams = RsaHashedImportParams | EcKeyImportParams | Algorithm;

function importParams(type: KeyType): ImportParams {
  switch (type) {
    case 'rsa-2048':
    case 'rsa-3072':
      return { name: 'RSA-PSS', hash: 'SHA-256' };
    case 'ecdsa-p256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
    case 'ecdsa-p384':
      return { name: 'ECDSA', namedCurve: 'P-384' };
    case 'ed25519':
      return { name: 'Ed25519' };
    case 'x25519':
      return { name: 'X25519' };
  }
}

function usages(type: KeyType, part: 'private' | 'public'): KeyUsage[] {
  if (type === 'x25519') return part === 'private' ? ['deriveBits'] : [];
  return part === 'private' ? ['sign'] : ['verify'];
}

function sequenceChildren(node: DerNode, what: string): DerNode[] {
  if (node.tag !== DerTag.SEQUENCE) throw new KeyError(`${what} is not a DER SEQUENCE`);
  return derChildren(node);
}

function rsaTypeFromModulus(modulus: DerNode): KeyType {
  let bytes = modulus.value;
  while (bytes.length > 0 && bytes[0] === 0) bytes = bytes.subarray(1);
  const bits = bytes.length === 0 ? 0 : (bytes.length - 1) * 8 + (32 - Math.clz32(bytes[0]!));
  if (bits === 2048) return 'rsa-2048';
  if (bits === 3072) return 'rsa-3072';
  throw new KeyError(`RSA key has a ${bits}-bit modulus; MCUboot supports only RSA-2048 and RSA-3072`);
}

/** Key type from an AlgorithmIdentifier plus (for RSA) the PKCS#1 key it wraps. */
function keyTypeFrom(algId: DerNode, rsaKey: () => DerNode): KeyType {
  const [oidNode, params] = sequenceChildren(algId, 'AlgorithmIdentifier');
  if (oidNode?.tag !== DerTag.OID) throw new KeyError('AlgorithmIdentifier has no OID');
  const oid = oidToString(oidNode.value);
  switch (oid) {
    case OID.rsaEncryption: {
      const key = sequenceChildren(rsaKey(), 'RSA key');
      // RSAPrivateKey starts with a version INTEGER; RSAPublicKey starts with the modulus.
      const modulus = key.length > 2 ? key[1] : key[0];
      if (modulus?.tag !== DerTag.INTEGER) throw new KeyError('RSA key has no modulus');
      return rsaTypeFromModulus(modulus);
    }
    case OID.ecPublicKey: {
      const curve = params?.tag === DerTag.OID ? oidToString(params.value) : '(none)';
      if (curve === OID.p256) return 'ecdsa-p256';
      if (curve === OID.p384) return 'ecdsa-p384';
      throw new KeyError(`EC key on curve ${curve} is not supported; MCUboot supports P-256 and P-384`);
    }
    case OID.ed25519:
      return 'ed25519';
    case OID.x25519:
      return 'x25519';
    case OID.rsassaPss:
      throw new KeyError('RSASSA-PSS-restricted keys are not supported; use a plain RSA (rsaEncryption) key');
    default:
      throw new KeyError(`unsupported key algorithm OID ${oid}`);
  }
}

function pkcs8KeyType(pkcs8: Uint8Array): KeyType {
  const parts = sequenceChildren(derDecode(pkcs8), 'PKCS#8 PrivateKeyInfo');
  const [version, algId, keyOctets] = parts;
  if (version?.tag !== DerTag.INTEGER || !algId || keyOctets?.tag !== DerTag.OCTET_STRING) {
    throw new KeyError('malformed PKCS#8 PrivateKeyInfo');
  }
  return keyTypeFrom(algId, () => derDecode(keyOctets.value));
}

function spkiParts(spki: Uint8Array): { type: KeyType; subjectKey: Uint8Array } {
  const [algId, bits] = sequenceChildren(derDecode(spki), 'SubjectPublicKeyInfo');
  if (!algId || bits?.tag !== DerTag.BIT_STRING || bits.value[0] !== 0) {
    throw new KeyError('malformed SubjectPublicKeyInfo');
  }
  const subjectKey = bits.value.subarray(1);
  return { type: keyTypeFrom(algId, () => derDecode(subjectKey)), subjectKey };
}

const RSA_ALG_ID = () =>
  derSequence([oidEncode(OID.rsaEncryption), derEncode(DerTag.NULL, new Uint8Array(0))]);

/** PKCS#1 RSAPrivateKey → PKCS#8 (the "RSA PRIVATE KEY" PEM form). */
function pkcs1PrivateToPkcs8(pkcs1: Uint8Array): Uint8Array {
  return derSequence([
    derEncode(DerTag.INTEGER, Uint8Array.of(0)),
    RSA_ALG_ID(),
    derEncode(DerTag.OCTET_STRING, pkcs1),
  ]);
}

/** SEC1 ECPrivateKey → PKCS#8 (the "EC PRIVATE KEY" PEM form); the curve comes from its [0] field. */
function sec1ToPkcs8(sec1: Uint8Array): Uint8Array {
  const parts = sequenceChildren(derDecode(sec1), 'EC private key');
  const params = parts.find((p) => p.tag === 0xa0);
  if (!params) throw new KeyError('EC PRIVATE KEY has no curve parameters; cannot tell P-256 from P-384');
  const curve = derDecode(params.value);
  if (curve.tag !== DerTag.OID) throw new KeyError('EC PRIVATE KEY curve parameters are not a named curve');
  return derSequence([
    derEncode(DerTag.INTEGER, Uint8Array.of(0)),
    derSequence([oidEncode(OID.ecPublicKey), curve.raw]),
    derEncode(DerTag.OCTET_STRING, sec1),
  ]);
}

/** PKCS#1 RSAPublicKey → SubjectPublicKeyInfo. */
function pkcs1PublicToSpki(pkcs1: Uint8Array): Uint8Array {
  return derSequence([RSA_ALG_ID(), derEncode(DerTag.BIT_STRING, new Uint8Array([0, ...pkcs1]))]);
}

async function publicKeyFromSpki(spki: Uint8Array): Promise<PublicKey> {
  const { type, subjectKey } = spkiParts(spki);
  const cryptoKey = await globalThis.crypto.subtle.importKey(
    'spki',
    toBufferSource(spki),
    importParams(type),
    true,
    usages(type, 'public'),
  );
  const isRsa = type === 'rsa-2048' || type === 'rsa-3072';
  return { type, bytes: isRsa ? subjectKey.slice() : spki.slice(), spki: spki.slice(), cryptoKey };
}

const PRIVATE_JWK_FIELDS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'key_ops'] as const;

async function publicKeyOf(type: KeyType, privateKey: CryptoKey): Promise<PublicKey> {
  const subtle = globalThis.crypto.subtle;
  const jwk = await subtle.exportKey('jwk', privateKey);
  for (const field of PRIVATE_JWK_FIELDS) delete jwk[field];
  const pub = await subtle.importKey('jwk', jwk, importParams(type), true, usages(type, 'public'));
  return publicKeyFromSpki(new Uint8Array(await subtle.exportKey('spki', pub)));
}

async function privateKeyFromPkcs8(pkcs8: Uint8Array): Promise<PrivateKey> {
  const type = pkcs8KeyType(pkcs8);
  let privateKey: CryptoKey;
  try {
    privateKey = await globalThis.crypto.subtle.importKey(
      'pkcs8',
      toBufferSource(pkcs8),
      importParams(type),
      true,
      usages(type, 'private'),
    );
  } catch (e) {
    throw new KeyError(`could not import the ${type} private key: ${(e as Error).message}`);
  }
  return { type, privateKey, publicKey: await publicKeyOf(type, privateKey) };
}

function wrapDerErrors<T>(what: string, fn: () => Promise<T>): Promise<T> {
  return fn().catch((e: unknown) => {
    if (e instanceof DerError) throw new KeyError(`${what} is not valid DER: ${e.message}`);
    throw e;
  });
}

async function privateDerFromPem(pem: string, password: string | undefined): Promise<Uint8Array> {
  const blocks = pemBlocks(pem);
  for (const b of blocks) {
    if (b.label === 'PRIVATE KEY') return b.der;
    if (b.label === 'RSA PRIVATE KEY') return pkcs1PrivateToPkcs8(b.der);
    if (b.label === 'EC PRIVATE KEY') return sec1ToPkcs8(b.der);
    if (b.label === 'ENCRYPTED PRIVATE KEY') {
      if (password === undefined) {
        throw new KeyPasswordError(
          'missing',
          'the private key is password-protected and no password was given',
        );
      }
      return decryptPkcs8(b.der, password);
    }
    if (b.label.startsWith('ENCRYPTED')) {
      throw new KeyError(
        'legacy OpenSSL-encrypted PEMs ("Proc-Type: 4,ENCRYPTED") are not supported; convert with `openssl pkcs8 -topk8`',
      );
    }
  }
  const found = blocks.map((b) => b.label).join(', ') || 'no PEM block';
  throw new KeyError(`no private key found (expected a "PRIVATE KEY" PEM, found: ${found})`);
}

/** True when the PEM holds a password-protected PKCS#8 key (`imgtool keygen -p`). */
export function isEncryptedPem(pem: string): boolean {
  return pemBlocks(pem).some((b) => b.label === 'ENCRYPTED PRIVATE KEY');
}

/**
 * Any supported private key (signing or x25519) from PEM text. Password-protected keys
 * ("ENCRYPTED PRIVATE KEY", PBES2) need `password`; a missing or wrong one throws KeyPasswordError.
 */
export function loadPrivateKey(pem: string, password?: string): Promise<PrivateKey> {
  return wrapDerErrors('private key', async () =>
    privateKeyFromPkcs8(await privateDerFromPem(pem, password)),
  );
}

/** A signing key from PEM: PKCS#8 "PRIVATE KEY" (imgtool keygen), or "RSA/EC PRIVATE KEY". */
export async function loadSigningKey(pem: string, password?: string): Promise<SigningKey> {
  const key = await loadPrivateKey(pem, password);
  if (key.type === 'x25519') throw new KeyError('x25519 keys are for image encryption, not for signing');
  return key as SigningKey;
}

function looksLikePem(bytes: Uint8Array): boolean {
  return new TextDecoder().decode(bytes.subarray(0, 64)).includes('-----BEGIN');
}

async function publicKeyFromDer(der: Uint8Array): Promise<PublicKey> {
  const children = sequenceChildren(derDecode(der), 'key');
  const [first, second, third] = children;
  if (children.length === 2 && first?.tag === DerTag.SEQUENCE) return publicKeyFromSpki(der);
  if (children.length === 2 && first?.tag === DerTag.INTEGER && second?.tag === DerTag.INTEGER) {
    return publicKeyFromSpki(pkcs1PublicToSpki(der));
  }
  if (
    first?.tag === DerTag.INTEGER &&
    second?.tag === DerTag.SEQUENCE &&
    third?.tag === DerTag.OCTET_STRING
  ) {
    return (await privateKeyFromPkcs8(der)).publicKey;
  }
  throw new KeyError('DER is neither a SubjectPublicKeyInfo, an RSAPublicKey nor a PKCS#8 private key');
}

/**
 * A public key from PEM ("PUBLIC KEY", "RSA PUBLIC KEY", or any private key PEM) or from DER
 * (SubjectPublicKeyInfo, PKCS#1 RSAPublicKey as MCUboot embeds it, or PKCS#8).
 */
export function loadPublicKey(pemOrDer: string | Uint8Array, password?: string): Promise<PublicKey> {
  return wrapDerErrors('public key', async () => {
    if (typeof pemOrDer !== 'string' && !looksLikePem(pemOrDer)) return publicKeyFromDer(pemOrDer);
    const text = typeof pemOrDer === 'string' ? pemOrDer : new TextDecoder().decode(pemOrDer);
    for (const b of pemBlocks(text)) {
      if (b.label === 'PUBLIC KEY') return publicKeyFromSpki(b.der);
      if (b.label === 'RSA PUBLIC KEY') return publicKeyFromSpki(pkcs1PublicToSpki(b.der));
    }
    return (await loadPrivateKey(text, password)).publicKey;
  });
}

function generateParams(type: KeyType): RsaHashedKeyGenParams | EcKeyGenParams | Algorithm {
  if (type === 'rsa-2048' || type === 'rsa-3072') {
    return {
      name: 'RSA-PSS',
      hash: 'SHA-256',
      modulusLength: type === 'rsa-2048' ? 2048 : 3072,
      publicExponent: Uint8Array.of(1, 0, 1),
    };
  }
  return importParams(type);
}

/**
 * A new key pair, as a PKCS#8 "PRIVATE KEY" PEM like `imgtool keygen` writes, or with `password`
 * an "ENCRYPTED PRIVATE KEY" PEM like `imgtool keygen -p`.
 */
export async function generateKey(
  type: KeyType,
  options: { password?: string } = {},
): Promise<{ privatePem: string; key: PrivateKey }> {
  if (!KEY_TYPES.includes(type))
    throw new KeyError(`unknown key type '${type}' (use one of ${KEY_TYPES.join(', ')})`);
  const subtle = globalThis.crypto.subtle;
  const pair = (await subtle.generateKey(generateParams(type), true, [
    ...usages(type, 'private'),
    ...usages(type, 'public'),
  ])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey));
  const privatePem =
    options.password === undefined
      ? pemEncode('PRIVATE KEY', pkcs8)
      : pemEncode('ENCRYPTED PRIVATE KEY', await encryptPkcs8(pkcs8, options.password));
  return { privatePem, key: await privateKeyFromPkcs8(pkcs8) };
}

function asPublic(key: PublicKey | PrivateKey): PublicKey {
  return 'publicKey' in key ? key.publicKey : key;
}

/** The bytes imgtool embeds in images (PUBKEY) and bootloaders (getpub). */
export function publicKeyBytes(key: PublicKey | PrivateKey): Uint8Array {
  return asPublic(key).bytes;
}

/** SubjectPublicKeyInfo PEM, as `imgtool getpub -e pem` prints (also for RSA). */
export function publicKeyPem(key: PublicKey | PrivateKey): string {
  return pemEncode('PUBLIC KEY', asPublic(key).spki);
}

/**
 * Hash of the public key bytes. SHA-256 is what `imgtool getpubhash` prints; images carry it
 * in KEYHASH computed with the image's own hash algorithm.
 */
export function keyHash(
  key: PublicKey | PrivateKey,
  algorithm: HashAlgorithm = 'sha256',
): Promise<Uint8Array> {
  return digest(algorithm, publicKeyBytes(key));
}

export function isSigningKeyType(type: KeyType): type is SigningKeyType {
  return type !== 'x25519';
}
