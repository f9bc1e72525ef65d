// Public API of the MCUboot image library (pure: WebCrypto only, runs in Node and browsers).

export { encodeBootRecord, MAX_SW_TYPE_LENGTH } from './boot-record.ts';
export { toHex } from './bytes.ts';
export { digest, HASH_SIZE } from './digest.ts';
export {
  type DumpDecoded,
  type DumpInfo,
  type DumpTlv,
  dumpInfo,
  formatDumpInfo,
  imgtoolTlvName,
  tlvMeaning,
} from './dumpinfo.ts';
export {
  type AesKeyLength,
  aesCtr,
  type DecryptedImage,
  decryptImage,
  ENC_TLV_TYPES,
  type EncryptionKeyType,
  encryptionTlvType,
  type HmacShaOption,
  isEncryptionKeyType,
  unwrapImageKey,
  wrapImageKey,
} from './encrypt.ts';
export { ImageFormatError, type ImageFormatReason, KeyError, SignError } from './errors.ts';
export {
  findTlvs,
  HASH_ALGORITHM_TLV,
  HASH_TLV_ALGORITHM,
  type HashAlgorithm,
  type HashTlv,
  IMAGE_HEADER_SIZE,
  IMAGE_MAGIC,
  IMAGE_MAGIC_NONE,
  IMAGE_MAGIC_V1,
  ImageFlag,
  type ImageHeader,
  type McubootImage,
  parseHeader,
  parseImage,
  SIGNATURE_TLV_TYPES,
  TLV_HEADER_SIZE,
  TLV_INFO_MAGIC,
  TLV_INFO_SIZE,
  TLV_PROT_INFO_MAGIC,
  type Tlv,
  TlvType,
  tlvName,
} from './format.ts';
export {
  type GetpubFormat,
  getpub,
  getpubC,
  getpubhashC,
  getpubhashRaw,
  getpubPem,
  getpubRaw,
  getpubRust,
} from './getpub.ts';
export {
  formatIntelHex,
  type HexImage,
  type HexSegment,
  IntelHexError,
  intelHexRegions,
  parseIntelHex,
  signedImageHexSegments,
} from './hex.ts';
export {
  generateKey,
  isEncryptedPem,
  isSigningKeyType,
  KEY_SHORT_NAME,
  KEY_TYPES,
  type KeyType,
  keyHash,
  loadPrivateKey,
  loadPublicKey,
  loadSigningKey,
  type PrivateKey,
  type PublicKey,
  publicKeyBytes,
  publicKeyPem,
  SIGNATURE_TLV,
  type SigningKey,
  type SigningKeyType,
} from './keys.ts';
export {
  DEFAULT_PBKDF2_ITERATIONS,
  decryptPkcs8,
  encryptPkcs8,
  KeyPasswordError,
} from './pkcs8-encrypted.ts';
export {
  buildSignedImage,
  chooseHashAlgorithm,
  type Dependency,
  type EncryptOptions,
  imgtoolImageOkOffset,
  imgtoolTrailerSize,
  padSignedImage,
  parseDependencies,
  type ShaOption,
  type SignedImage,
  type SignOptions,
  signImage,
} from './sign.ts';
export { ecdsaDerToRaw, ecdsaRawToDer, RSA_PSS_SALT_LENGTH } from './signature.ts';
export * from './trailer.ts';
export {
  type BootFailure,
  type BootValidation,
  type BootValidationOptions,
  type VerifyFailure,
  type VerifyResult,
  validateForBoot,
  verifyImage,
} from './verify.ts';
export { compareVersions, formatVersion, type ImageVersion, parseVersion } from './version.ts';
