// `imgtool dumpinfo`: every header field, TLV and trailer field of an image. `dumpInfo` returns
// imgtool's own JSON structure (`dumpinfo -f json`: filename, header, tlv_area, trailer) plus a
// `decoded` part that says what each value means; `formatDumpInfo` prints it for people.

import { dataView, hex32, toHex } from './bytes.ts';
import { ImageFlag, type McubootImage, parseImage, type Tlv, TlvType } from './format.ts';
import { alignUp, BootFlag, bootMagic, decodeFlag, decodeSwapInfo, swapTypeName } from './trailer.ts';
import { formatVersion } from './version.ts';

/** imgtool's TLV names (image.py TLV_VALUES), which its dumpinfo prints. */
const IMGTOOL_TLV_NAMES: Readonly<Record<number, string>> = {
  1: 'KEYHASH',
  2: 'PUBKEY',
  16: 'SHA256',
  17: 'SHA384',
  18: 'SHA512',
  32: 'RSA2048',
  34: 'ECDSASIG',
  35: 'RSA3072',
  36: 'ED25519',
  37: 'SIG_PURE',
  48: 'ENCRSA2048',
  49: 'ENCKW',
  50: 'ENCEC256',
  51: 'ENCX25519',
  52: 'ENCX25519_SHA512',
  64: 'DEPENDENCY',
  80: 'SEC_CNT',
  96: 'BOOT_RECORD',
  112: 'DECOMP_SIZE',
  113: 'DECOMP_SHA',
  114: 'DECOMP_SIGNATURE',
  115: 'COMP_DEC_SIZE',
  116: 'UUID_VID',
  117: 'UUID_CID',
};

export function imgtoolTlvName(type: number): string {
  return IMGTOOL_TLV_NAMES[type] ?? 'UNKNOWN';
}

export interface DumpTlv {
  type: number;
  type_name: string;
  len: number;
  /** Payload as hex (imgtool's JSON form of bytes). */
  data: string;
}

export interface DumpInfo {
  filename: string;
  header: {
    magic: number;
    load_addr: number;
    hdr_size: number;
    protected_tlv_size: number;
    img_size: number;
    flags: number;
    version: string;
  };
  tlv_area: {
    tlv_hdr_prot: { magic?: number; tlv_tot?: number };
    tlvs_prot: DumpTlv[];
    tlv_hdr: { magic: number; tlv_tot: number };
    tlvs: DumpTlv[];
  };
  /** Present only when bytes follow the TLVs (a padded image); magic as hex. */
  trailer: {
    magic?: string;
    image_ok?: number;
    copy_done?: number;
    swap_info?: number;
    swap_size?: number;
    key_field_len?: number;
  };
  /** What the values mean, in words (zdfu's addition to imgtool's structure). */
  decoded: DumpDecoded;
}

export interface DumpDecoded {
  flags: string[];
  encrypted: boolean;
  payloadOffset: number;
  protectedTlvOffset?: number;
  tlvOffset: number;
  /** End of the TLVs: the image's own size without slot padding. */
  imageEnd: number;
  fileSize: number;
  /** One sentence per TLV, protected first, in file order. */
  tlvs: Array<{ offset: number; name: string; protected: boolean; meaning: string }>;
  trailer?: {
    offset: number;
    magic: 'good' | 'bad' | 'unset';
    maxAlign?: number;
    imageOk?: string;
    copyDone?: string;
    swapInfo?: string;
    swapSize?: string;
    encKeys?: string;
  };
}

const FLAG_NAMES: ReadonlyArray<[string, number]> = [
  ['PIC', ImageFlag.PIC],
  ['ENCRYPTED_AES128', ImageFlag.ENCRYPTED_AES128],
  ['ENCRYPTED_AES256', ImageFlag.ENCRYPTED_AES256],
  ['NON_BOOTABLE', ImageFlag.NON_BOOTABLE],
  ['RAM_LOAD', ImageFlag.RAM_LOAD],
  ['ROM_FIXED', ImageFlag.ROM_FIXED],
  ['COMPRESSED_LZMA1', ImageFlag.COMPRESSED_LZMA1],
  ['COMPRESSED_LZMA2', ImageFlag.COMPRESSED_LZMA2],
  ['COMPRESSED_ARM_THUMB', ImageFlag.COMPRESSED_ARM_THUMB_FLT],
];

const hex = (n: number) => `0x${n.toString(16)}`;

function dumpTlv(t: Tlv): DumpTlv {
  return { type: t.type, type_name: imgtoolTlvName(t.type), len: t.data.length, data: toHex(t.data) };
}

function u32At(data: Uint8Array, off = 0): number | undefined {
  return data.length >= off + 4 ? dataView(data).getUint32(off, true) : undefined;
}

/** One sentence saying what a TLV is for. */
export function tlvMeaning(t: Tlv): string {
  const n = t.data.length;
  switch (t.type) {
    case TlvType.KEYHASH:
      return `hash of the signing public key (${n} bytes): selects the bootloader key`;
    case TlvType.PUBKEY:
      return `the full signing public key (${n} bytes DER)`;
    case TlvType.SHA256:
    case TlvType.SHA384:
    case TlvType.SHA512:
      return `image hash over header, body and protected TLVs: ${toHex(t.data)}`;
    case TlvType.RSA2048_PSS:
      return `RSA-2048 PSS signature (${n} bytes)`;
    case TlvType.RSA3072_PSS:
      return `RSA-3072 PSS signature (${n} bytes)`;
    case TlvType.ECDSA_SIG:
      return `ECDSA signature, DER (${n} bytes)`;
    case TlvType.ED25519:
      return `Ed25519 signature (${n} bytes)`;
    case TlvType.SIG_PURE:
      return 'the signature covers the image itself, not its hash';
    case TlvType.ENC_RSA2048:
      return `AES key wrapped with RSA-OAEP (${n} bytes)`;
    case TlvType.ENC_KW:
      return `AES key wrapped with AES-KW (${n} bytes)`;
    case TlvType.ENC_EC256:
      return `AES key wrapped with ECIES-P256 (${n} bytes: ephemeral key, HMAC, key)`;
    case TlvType.ENC_X25519:
      return `AES key wrapped with ECIES-X25519 (${n} bytes: ephemeral key, HMAC, key)`;
    case TlvType.ENC_X25519_SHA512:
      return `AES key wrapped with ECIES-X25519, HMAC-SHA512 (${n} bytes)`;
    case TlvType.DEPENDENCY: {
      if (n < 12) return `dependency (malformed, ${n} bytes)`;
      const dv = dataView(t.data);
      const v = {
        major: dv.getUint8(4),
        minor: dv.getUint8(5),
        revision: dv.getUint16(6, true),
        build: dv.getUint32(8, true),
      };
      return `needs image ${t.data[0]} at version ${formatVersion(v, 'imgtool')} or newer`;
    }
    case TlvType.SEC_CNT:
      return `security counter ${u32At(t.data) ?? '(malformed)'}`;
    case TlvType.BOOT_RECORD:
      return `measured-boot record, CBOR (${n} bytes)`;
    case TlvType.DECOMP_SIZE:
      return `decompressed size ${u32At(t.data) ?? '(malformed)'} bytes`;
    case TlvType.DECOMP_SHA:
      return 'hash of the decompressed image';
    case TlvType.DECOMP_SIGNATURE:
      return 'signature of the decompressed image';
    case TlvType.UUID_VID:
      return `vendor UUID ${toHex(t.data)}`;
    case TlvType.UUID_CID:
      return `image class UUID ${toHex(t.data)}`;
    default:
      return t.type >= 0xa0 ? `custom TLV (${n} bytes)` : `unknown TLV type (${n} bytes)`;
  }
}

function flagWords(byte: number): string {
  const state = decodeFlag(byte);
  return `${state === BootFlag.SET ? 'set' : state === BootFlag.UNSET ? 'unset' : 'bad'} (${hex(byte)})`;
}

function readTrailer(bytes: Uint8Array, image: McubootImage, info: DumpInfo, decoded: DumpDecoded): void {
  if (bytes.length <= image.totalLength || bytes.length < 16) return;
  const magic = bytes.subarray(bytes.length - 16);
  info.trailer.magic = toHex(magic);
  let maxAlign: number | undefined;
  if (toHex(magic) === toHex(bootMagic(8))) maxAlign = 8;
  else if (toHex(magic.subarray(2)) === toHex(bootMagic(16).subarray(2)))
    maxAlign = magic[0]! | (magic[1]! << 8);
  const erased = magic.every((b) => b === 0xff) || magic.every((b) => b === 0);
  const trailer: NonNullable<DumpDecoded['trailer']> = {
    offset: bytes.length - 16,
    magic: maxAlign !== undefined ? 'good' : erased ? 'unset' : 'bad',
  };
  decoded.trailer = trailer;
  if (maxAlign === undefined || maxAlign < 1) return;
  trailer.maxAlign = maxAlign;
  // Field positions as imgtool dumpinfo and bootutil place them, counted back from the slot end.
  let off = bytes.length - 16 - Math.max(0, maxAlign - 16);
  off -= maxAlign;
  const imageOk = bytes[off]!;
  off -= maxAlign;
  const copyDone = bytes[off]!;
  off -= maxAlign;
  const swapInfo = bytes[off]!;
  off -= maxAlign;
  const swapSize = u32At(bytes, off) ?? 0xffffffff;
  info.trailer.image_ok = imageOk;
  info.trailer.copy_done = copyDone;
  info.trailer.swap_info = swapInfo;
  info.trailer.swap_size = swapSize;
  trailer.offset = off;
  trailer.imageOk = flagWords(imageOk);
  trailer.copyDone = flagWords(copyDone);
  const si = decodeSwapInfo(swapInfo);
  trailer.swapInfo =
    swapInfo === 0xff
      ? 'unset (0xff): swap type none'
      : `swap type ${swapTypeName(si.swapType)}, image ${si.imageNum} (${hex(swapInfo)})`;
  trailer.swapSize = swapSize === 0xffffffff ? 'unset (0xffffffff)' : `${swapSize} bytes (${hex(swapSize)})`;
  if (decoded.encrypted) {
    info.trailer.key_field_len = alignUp(16, maxAlign) * 2;
    trailer.encKeys = `two key slots of ${alignUp(16, maxAlign)} bytes (without BOOT_SWAP_SAVE_ENCTLV)`;
  }
}

/** Everything in an image, as imgtool dumpinfo reports it plus words. Throws ImageFormatError. */
export function dumpInfo(bytes: Uint8Array, filename: string): DumpInfo {
  const image = parseImage(bytes);
  const h = image.header;
  const v = h.version;
  const protOff = h.hdrSize + h.imgSize;
  const info: DumpInfo = {
    filename,
    header: {
      magic: h.magic,
      load_addr: h.loadAddr,
      hdr_size: h.hdrSize,
      protected_tlv_size: h.protectTlvSize,
      img_size: h.imgSize,
      flags: h.flags,
      version: `${v.major}.${v.minor}.${v.revision}+${v.build}`,
    },
    tlv_area: {
      tlv_hdr_prot: h.protectTlvSize ? { magic: 0x6908, tlv_tot: h.protectTlvSize } : {},
      tlvs_prot: image.protectedTlvs.map(dumpTlv),
      tlv_hdr: { magic: 0x6907, tlv_tot: image.totalLength - image.unprotectedOffset },
      tlvs: image.tlvs.map(dumpTlv),
    },
    trailer: {},
    decoded: {
      flags: FLAG_NAMES.filter(([, bit]) => h.flags & bit).map(([name]) => name),
      encrypted: (h.flags & (ImageFlag.ENCRYPTED_AES128 | ImageFlag.ENCRYPTED_AES256)) !== 0,
      payloadOffset: h.hdrSize,
      tlvOffset: image.unprotectedOffset,
      imageEnd: image.totalLength,
      fileSize: bytes.length,
      tlvs: [...image.protectedTlvs, ...image.tlvs].map((t) => ({
        offset: t.offset,
        name: imgtoolTlvName(t.type),
        protected: t.protected,
        meaning: tlvMeaning(t),
      })),
    },
  };
  if (h.protectTlvSize) info.decoded.protectedTlvOffset = protOff;
  readTrailer(bytes, image, info, info.decoded);
  return info;
}

const LINE = 60;

function row(text: string): string {
  const head = `#### ${text} `;
  return head + '#'.repeat(Math.max(0, LINE - head.length));
}

function dataLines(data: string, indent: string): string[] {
  const bytes = data.match(/../g) ?? [];
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 8) {
    lines.push(
      indent +
        bytes
          .slice(i, i + 8)
          .map((b) => `0x${b}`)
          .join(' '),
    );
  }
  return lines.length > 0 ? lines : [indent];
}

function tlvBlock(tlvs: DumpTlv[], meanings: string[]): string[] {
  const lines: string[] = [];
  tlvs.forEach((t, i) => {
    lines.push(`   ${'-'.repeat(45)}`);
    lines.push(`   type: ${t.type_name} (${hex(t.type)})`);
    lines.push(`   len:  ${hex(t.len)}`);
    lines.push(`   what: ${meanings[i]}`);
    const data = dataLines(t.data, '         ');
    lines.push(`   data: ${data[0]!.trimStart()}`, ...data.slice(1));
  });
  return lines;
}

function field(name: string, value: string): string {
  return `${name}:${' '.repeat(Math.max(1, 19 - name.length))}${value}`;
}

/** Human-readable dump in imgtool's layout, with each value explained. */
export function formatDumpInfo(info: DumpInfo): string {
  const { header: h, tlv_area: area, decoded: d } = info;
  const meanings = d.tlvs.map((t) => t.meaning);
  const protMeanings = meanings.slice(0, area.tlvs_prot.length);
  const mainMeanings = meanings.slice(area.tlvs_prot.length);
  const out: string[] = [`Printing content of signed image: ${info.filename}`, ''];
  out.push(row('Image header (offset: 0x0)'));
  out.push(field('magic', `${hex32(h.magic)} (good)`));
  out.push(field('load_addr', h.load_addr ? `${hex(h.load_addr)}` : '0x0 (runs from its slot)'));
  out.push(field('hdr_size', `${hex(h.hdr_size)} (${h.hdr_size} bytes)`));
  out.push(field('protected_tlv_size', `${hex(h.protected_tlv_size)} (${h.protected_tlv_size} bytes)`));
  out.push(field('img_size', `${hex(h.img_size)} (${h.img_size} bytes)`));
  out.push(field('flags', h.flags ? `${hex(h.flags)} (${d.flags.join(', ')})` : '0x0 (none)'));
  out.push(field('version', h.version));
  out.push('#'.repeat(LINE));
  out.push(row(`Payload (offset: ${hex(d.payloadOffset)})`));
  out.push(`FW image (size: ${hex(h.img_size)} Bytes)${d.encrypted ? ', encrypted (AES-CTR)' : ''}`);
  out.push('#'.repeat(LINE));
  if (d.protectedTlvOffset !== undefined) {
    out.push(row(`Protected TLV area (offset: ${hex(d.protectedTlvOffset)})`));
    out.push(`magic:     ${hex(area.tlv_hdr_prot.magic ?? 0)}`);
    out.push(`area size: ${hex(area.tlv_hdr_prot.tlv_tot ?? 0)}`);
    out.push(...tlvBlock(area.tlvs_prot, protMeanings));
    out.push('#'.repeat(LINE));
  }
  out.push(row(`TLV area (offset: ${hex(d.tlvOffset)})`));
  out.push(`magic:     ${hex(area.tlv_hdr.magic)}`);
  out.push(`area size: ${hex(area.tlv_hdr.tlv_tot)}`);
  out.push(...tlvBlock(area.tlvs, mainMeanings));
  out.push('#'.repeat(LINE));
  const t = d.trailer;
  if (t) {
    out.push(row(`Image trailer (offset: ${hex(t.offset)})`));
    out.push(
      `padding:     ${hex(d.imageEnd)}..${hex(t.offset)} (${d.fileSize - d.imageEnd} bytes after the TLVs)`,
    );
    if (t.encKeys) out.push(`enc. keys:   ${t.encKeys}`);
    else if (t.magic === 'good') out.push('enc. keys:   image not encrypted');
    if (t.swapSize) out.push(`swap size:   ${t.swapSize}`);
    if (t.swapInfo) out.push(`swap_info:   ${t.swapInfo}`);
    if (t.copyDone) out.push(`copy_done:   ${t.copyDone}`);
    if (t.imageOk) out.push(`image_ok:    ${t.imageOk}`);
    const magicWords =
      t.magic === 'good' ? `good (max-align ${t.maxAlign})` : t.magic === 'unset' ? 'unset (erased)' : 'bad';
    out.push(`boot magic:  ${magicWords}`);
    out.push(...dataLines(info.trailer.magic ?? '', '             '));
  } else {
    out.push(row('No trailer (the file ends with the TLVs)'));
  }
  out.push('');
  out.push(row('End of Image'));
  return `${out.join('\n')}\n`;
}
