/**
 * `zdfu sign [options] INFILE OUTFILE`: imgtool sign's options and output, byte for byte. A .hex
 * INFILE is read as Intel HEX (its lowest address is the base); a .hex OUTFILE is written as Intel
 * HEX at that base or at -x/--hex-addr, with only the magic/image_ok placed when padding.
 */
import {
  buildSignedImage,
  type Dependency,
  formatIntelHex,
  isEncryptionKeyType,
  isSigningKeyType,
  padSignedImage,
  parseDependencies,
  parseImage,
  type ShaOption,
  type SigningKey,
  type SignOptions,
  signedImageHexSegments,
  toHex,
} from '../../image/index.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import {
  asCliError,
  isHexPath,
  loadPrivateKeyFile,
  loadPublicKeyFile,
  parseBasedInt,
  readImageInput,
  writeOutput,
} from './options.ts';

export interface SignCommandOptions {
  key?: string;
  publicKeyFormat?: 'hash' | 'full';
  align?: string;
  maxAlign?: string;
  version: string;
  securityCounter?: string;
  dependencies?: string;
  headerSize: string;
  padHeader?: boolean;
  slotSize: string;
  pad?: boolean;
  test?: boolean;
  confirm?: boolean;
  maxSectors?: string;
  bootRecord?: string;
  overwriteOnly?: boolean;
  clear?: boolean;
  encryptKeylen?: string;
  encrypt?: string;
  saveEnctlv?: boolean;
  romFixed?: string;
  loadAddr?: string;
  hexAddr?: string;
  erasedVal?: string;
  nonBootable?: boolean;
  sha?: string;
  hmacSha?: string;
}

const MIN_HEADER_SIZE = 32;

function parseSecurityCounter(text: string): number | 'auto' {
  if (text.toLowerCase() === 'auto') return 'auto';
  return parseBasedInt(text, 'security counter');
}

function parseDeps(text: string): Dependency[] {
  try {
    return parseDependencies(text);
  } catch (err) {
    throw asCliError(err);
  }
}

/** The library's SignOptions from imgtool's command line (the keys are loaded separately). */
export function signOptionsFrom(o: SignCommandOptions): SignOptions {
  const headerSize = parseBasedInt(o.headerSize, 'header size');
  if (headerSize < MIN_HEADER_SIZE) {
    throw new CliError(
      `The header size ${headerSize} is too small: -H/--header-size must be at least ${MIN_HEADER_SIZE} (the image header itself).`,
    );
  }
  const options: SignOptions = {
    headerSize,
    slotSize: parseBasedInt(o.slotSize, 'slot size'),
    version: o.version,
    align: Number(o.align ?? '1') as SignOptions['align'],
    publicKeyFormat: o.publicKeyFormat ?? 'hash',
  };
  if (o.padHeader) options.padHeader = true;
  if (o.pad) options.pad = true;
  if (o.test) options.test = true;
  if (o.confirm) options.confirm = true;
  if (o.overwriteOnly) options.overwriteOnly = true;
  if (o.nonBootable) options.nonBootable = true;
  if (o.maxAlign !== undefined) options.maxAlign = Number(o.maxAlign) as 8 | 16 | 32;
  if (o.maxSectors !== undefined) options.maxSectors = parseBasedInt(o.maxSectors, 'max sectors');
  if (o.securityCounter !== undefined) options.securityCounter = parseSecurityCounter(o.securityCounter);
  if (o.dependencies !== undefined) options.dependencies = parseDeps(o.dependencies);
  if (o.bootRecord !== undefined) options.bootRecord = o.bootRecord;
  if (o.loadAddr !== undefined) options.loadAddr = parseBasedInt(o.loadAddr, 'load address');
  if (o.romFixed !== undefined) options.romFixed = parseBasedInt(o.romFixed, 'rom-fixed address');
  if (o.erasedVal !== undefined) options.erasedVal = o.erasedVal === '0' ? 0 : 0xff;
  if (o.sha !== undefined) options.sha = (o.sha === 'auto' ? 'auto' : Number(o.sha)) as ShaOption;
  return options;
}

async function signingKey(ctx: CliContext, path: string): Promise<SigningKey> {
  const key = await loadPrivateKeyFile(path, ctx.io);
  if (!isSigningKeyType(key.type)) {
    throw new CliError(
      `The key ${path} is an ${key.type} key, which can only encrypt; sign with an RSA, ECDSA or Ed25519 key.`,
    );
  }
  return key as SigningKey;
}

export async function signCommand(
  ctx: CliContext,
  infile: string,
  outfile: string,
  o: SignCommandOptions,
): Promise<void> {
  const options = signOptionsFrom(o);
  if (o.key !== undefined) options.key = await signingKey(ctx, o.key);
  if (o.encrypt !== undefined) {
    const encKey = await loadPublicKeyFile(o.encrypt, ctx.io);
    if (!isEncryptionKeyType(encKey.type)) {
      throw new CliError(
        `The encryption key ${o.encrypt} is a ${encKey.type} key; image encryption needs an RSA-2048, EC P-256 or X25519 key.`,
      );
    }
    options.encrypt = {
      key: encKey,
      keyLength: o.encryptKeylen === '256' ? 256 : 128,
      clear: o.clear === true,
      saveEnctlv: o.saveEnctlv === true,
      hmacSha: o.hmacSha === undefined || o.hmacSha === 'auto' ? 'auto' : (Number(o.hmacSha) as 256 | 512),
    };
  } else if (o.clear || o.encryptKeylen !== undefined || o.saveEnctlv) {
    throw new CliError('--clear, --encrypt-keylen and --save-enctlv need -E/--encrypt KEY.');
  }
  const input = await readImageInput(infile);
  let base = input.base;
  // imgtool moves a HEX input's base down to make room for a prepended header.
  if (options.padHeader && base) base -= options.headerSize;
  if (o.hexAddr !== undefined) base = parseBasedInt(o.hexAddr, 'hex address');

  let signed: Awaited<ReturnType<typeof buildSignedImage>>;
  try {
    signed = await buildSignedImage(input.bytes, options);
  } catch (err) {
    throw asCliError(err, `Cannot sign ${infile}`);
  }
  let written: number;
  if (isHexPath(outfile)) {
    if (base === undefined) {
      throw new CliError(
        `Intel HEX output needs an address: ${infile} is binary, so give one with -x/--hex-addr.`,
      );
    }
    const text = formatIntelHex(signedImageHexSegments(signed, base));
    await writeOutput(outfile, text, 'output file');
    written = text.length;
  } else {
    const bytes = padSignedImage(signed);
    await writeOutput(outfile, bytes, 'output file');
    written = bytes.length;
  }
  const { image } = signed;
  ctx.emit(
    {
      file: outfile,
      bytes: written,
      imageSize: image.length,
      trailerSize: signed.trailerSize,
      slotSize: signed.slotSize,
      ...(base !== undefined ? { base } : {}),
      ...(signed.aesKey ? { encrypted: true } : {}),
      hash: toHex(parseImage(image).hashTlv?.data ?? new Uint8Array(0)),
    },
    '',
  );
}
