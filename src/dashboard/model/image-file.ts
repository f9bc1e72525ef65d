/**
 * A file the user dropped or picked, read like `zdfu image dumpinfo` reads it: a .bin as it is, an
 * Intel HEX as the image it holds (src/cli/image-file.ts), then every header field and TLV
 * (src/image/dumpinfo.ts). A file that is not an MCUboot image gets a message naming what is
 * wrong and, for the usual mix-ups (the ELF, the unsigned zephyr.bin), what to pick instead. Pure.
 */
import { imageFromIntelHex } from '../../cli/image-file.ts';
import { type DumpInfo, dumpInfo } from '../../image/dumpinfo.ts';
import { ImageFormatError } from '../../image/errors.ts';
import { formatBytes } from './format.ts';

export interface ImageSummary {
  readonly version: string;
  /** The SHA256 TLV: what `image list` will show. */
  readonly hash: string | undefined;
  /** Signature TLVs by imgtool's names (RSA2048, ECDSASIG, …); empty for a hash-only image. */
  readonly signatures: string[];
  readonly flags: string[];
  readonly imageSize: number;
  readonly fileSize: number;
}

export type InspectedFile =
  | {
      readonly ok: true;
      readonly name: string;
      readonly bytes: Uint8Array;
      readonly info: DumpInfo;
      readonly summary: ImageSummary;
    }
  | { readonly ok: false; readonly name: string; readonly problem: string };

const SIGNATURE_TLVS = new Set(['RSA2048', 'RSA3072', 'ECDSASIG', 'ED25519']);
const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/** What the file looks like when it is not an image, to say what to pick instead. */
function mixUpHint(bytes: Uint8Array): string {
  if (startsWith(bytes, ELF_MAGIC)) {
    return ' It is an ELF file (zephyr.elf): pick the signed image, zephyr.signed.bin, instead.';
  }
  return ' Pick a signed image (zephyr.signed.bin or .hex, from `west sign`, `imgtool sign` or `zdfu sign`); an unsigned zephyr.bin has no MCUboot header.';
}

function looksLikeIntelHex(bytes: Uint8Array): boolean {
  return bytes[0] === 0x3a && /^:[0-9A-Fa-f]{10}/.test(new TextDecoder().decode(bytes.subarray(0, 11)));
}

export function inspectFile(name: string, raw: Uint8Array): InspectedFile {
  if (raw.length === 0)
    return { ok: false, name, problem: `"${name}" is empty (0 bytes): it is not an MCUboot image.` };
  let bytes = raw;
  if (looksLikeIntelHex(raw)) {
    try {
      bytes = imageFromIntelHex(new TextDecoder().decode(raw), name);
    } catch (error) {
      return { ok: false, name, problem: error instanceof Error ? error.message : String(error) };
    }
  }
  let info: DumpInfo;
  try {
    info = dumpInfo(bytes, name);
  } catch (error) {
    if (error instanceof ImageFormatError) {
      const at = error.offset !== undefined ? ` at byte ${error.offset}` : '';
      return {
        ok: false,
        name,
        problem: `"${name}" (${formatBytes(raw.length)}) is not an MCUboot image: ${error.message.replace(/\.$/, '')}${at}.${mixUpHint(bytes)}`,
      };
    }
    throw error;
  }
  const tlvs = [...info.tlv_area.tlvs_prot, ...info.tlv_area.tlvs];
  const summary: ImageSummary = {
    version: info.header.version,
    hash: tlvs.find((t) => t.type_name === 'SHA256' || t.type_name === 'SHA384' || t.type_name === 'SHA512')
      ?.data,
    signatures: tlvs.filter((t) => SIGNATURE_TLVS.has(t.type_name)).map((t) => t.type_name),
    flags: info.decoded.flags,
    imageSize: info.decoded.imageEnd,
    fileSize: bytes.length,
  };
  return { ok: true, name, bytes, info, summary };
}
