/**
 * `zdfu verify [-k KEY] IMAGE`: imgtool verify's checks and output. A failure names what failed
 * (magic, TLV layout, hash or signature) in one sentence. zdfu extension: `--decrypt KEY` checks
 * an encrypted image by decrypting it first (its hash covers the plaintext).
 */
import {
  decryptImage,
  ImageFlag,
  parseHeader,
  toHex,
  type VerifyFailure,
  verifyImage,
} from '../../image/index.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { asCliError, loadPrivateKeyFile, loadPublicKeyFile, readImageInput, sentence } from './options.ts';

export interface VerifyOptions {
  key?: string;
  decrypt?: string;
}

const FAILURE_WORDS: Readonly<Record<VerifyFailure, string>> = {
  magic: 'bad image magic',
  header: 'bad image header',
  tlv: 'bad TLV area',
  truncated: 'truncated image',
  hash: 'image hash mismatch',
  signature: 'signature check failed',
};

function isEncrypted(bytes: Uint8Array): boolean {
  try {
    return (parseHeader(bytes).flags & (ImageFlag.ENCRYPTED_AES128 | ImageFlag.ENCRYPTED_AES256)) !== 0;
  } catch {
    return false;
  }
}

export async function verifyCommand(ctx: CliContext, file: string, options: VerifyOptions): Promise<void> {
  let { bytes } = await readImageInput(file);
  const keys = options.key === undefined ? [] : [await loadPublicKeyFile(options.key, ctx.io)];
  if (options.decrypt !== undefined) {
    const encKey = await loadPrivateKeyFile(options.decrypt, ctx.io);
    try {
      bytes = (await decryptImage(bytes, encKey)).bytes;
    } catch (err) {
      throw asCliError(err, `Cannot decrypt ${file}`);
    }
  }
  const result = await verifyImage(bytes, { keys });
  if (!result.ok) {
    const failure = result.failure ?? 'hash';
    let hint = '';
    if (failure === 'hash' && options.decrypt === undefined && isEncrypted(bytes)) {
      hint = ' (the image is encrypted and its hash covers the plaintext: add --decrypt KEY)';
    }
    // Say which check failed, without repeating it when the message already starts with it.
    const words = FAILURE_WORDS[failure];
    const what = result.message.startsWith(words) ? result.message : `${words}: ${result.message}`;
    throw new CliError(sentence(`Verification of ${file} failed, ${what}${hint}`));
  }
  const version = result.version!;
  const versionText = `${version.major}.${version.minor}.${version.revision}+${version.build}`;
  const digest = result.digest ? toHex(result.digest) : '';
  ctx.emit(
    {
      ok: true,
      file,
      version: versionText,
      digest,
      hashAlgorithm: result.hashAlgorithm,
      ...(result.keyType ? { keyType: result.keyType } : {}),
    },
    `Image was correctly validated\nImage version: ${versionText}\nImage digest: ${digest}\n`,
  );
}
