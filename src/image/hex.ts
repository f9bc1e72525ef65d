// Intel HEX in and out, the way imgtool (Python intelhex) reads and writes it: input is flattened
// from its lowest to its highest address with 0xff in the gaps; output uses 16-byte data records,
// an extended linear address record only when data lies above 64 KiB, upper-case hex, "\n" lines.

import intelHexModule from 'nrf-intel-hex';
import { imgtoolImageOkOffset, type SignedImage } from './sign.ts';
import { bootMagic } from './trailer.ts';

// The package is CommonJS (`module.exports = MemoryMap`) while its types declare a default export,
// so under NodeNext the default import is the class at run time but the module object for tsc.
type MemoryMapClass = typeof intelHexModule.default;
const MemoryMap = ((intelHexModule as unknown as { default?: MemoryMapClass }).default ??
  intelHexModule) as MemoryMapClass;

/** What an Intel HEX file holds, as one contiguous block. */
export interface HexImage {
  /** Lowest address with data (imgtool's base address). */
  base: number;
  /** Bytes from `base` to the highest address, gaps filled with 0xff. */
  data: Uint8Array;
}

export class IntelHexError extends Error {
  override name = 'IntelHexError';
}

/**
 * The regions of an Intel HEX file: runs of contiguous data, sorted by address (records that
 * continue each other are merged).
 */
export function intelHexRegions(text: string): Array<readonly [address: number, bytes: Uint8Array]> {
  let map: InstanceType<MemoryMapClass>;
  try {
    map = MemoryMap.fromHex(text);
  } catch (e) {
    throw new IntelHexError(`not a valid Intel HEX file: ${(e as Error).message}`);
  }
  const blocks = [...map.entries()].filter(([, b]) => b.length > 0).sort((a, b) => a[0] - b[0]);
  if (blocks.length === 0) throw new IntelHexError('the Intel HEX file holds no data');
  const regions: Array<[number, Uint8Array[]]> = [];
  let end = -1;
  for (const [addr, bytes] of blocks) {
    const last = regions[regions.length - 1];
    if (last !== undefined && addr === end) last[1].push(bytes);
    else regions.push([addr, [bytes]]);
    end = Math.max(end, addr + bytes.length);
  }
  return regions.map(([addr, parts]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return [addr, out] as const;
  });
}

/** Parse Intel HEX text (nrf-intel-hex) into one block starting at its lowest address. */
export function parseIntelHex(text: string): HexImage {
  const blocks = intelHexRegions(text);
  const base = blocks[0]![0];
  const end = Math.max(...blocks.map(([addr, b]) => addr + b.length));
  const data = new Uint8Array(end - base).fill(0xff);
  for (const [addr, bytes] of blocks) data.set(bytes, addr - base);
  return { base, data };
}

/** Data placed at absolute addresses; later segments win where they overlap. */
export type HexSegment = readonly [address: number, bytes: Uint8Array];

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

function record(type: number, address: number, data: ArrayLike<number>): string {
  let sum = data.length + ((address >> 8) & 0xff) + (address & 0xff) + type;
  let out = `:${hex2(data.length)}${hex2((address >> 8) & 0xff)}${hex2(address & 0xff)}${hex2(type)}`;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    sum += b;
    out += hex2(b);
  }
  return `${out}${hex2(-sum & 0xff)}\n`;
}

/** Sorted, merged runs of contiguous bytes. */
function runs(segments: readonly HexSegment[]): Array<[number, Uint8Array]> {
  const bytes = new Map<number, number>();
  for (const [addr, data] of segments) {
    for (let i = 0; i < data.length; i++) bytes.set(addr + i, data[i]!);
  }
  const addrs = [...bytes.keys()].sort((a, b) => a - b);
  const out: Array<[number, Uint8Array]> = [];
  let i = 0;
  while (i < addrs.length) {
    let j = i;
    while (j + 1 < addrs.length && addrs[j + 1] === addrs[j]! + 1) j++;
    out.push([addrs[i]!, Uint8Array.from(addrs.slice(i, j + 1), (a) => bytes.get(a)!)]);
    i = j + 1;
  }
  return out;
}

function contiguousRuns(segments: readonly HexSegment[]): Array<[number, Uint8Array]> {
  // Fast path for the common case of non-overlapping segments (a 1 MiB image is one segment).
  const sorted = [...segments].filter(([, d]) => d.length > 0).sort((a, b) => a[0] - b[0]);
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k]![0] < sorted[k - 1]![0] + sorted[k - 1]![1].length) return runs(segments);
  }
  const out: Array<[number, Uint8Array]> = [];
  for (const [addr, data] of sorted) {
    const last = out[out.length - 1];
    if (last && last[0] + last[1].length === addr) {
      const merged = new Uint8Array(last[1].length + data.length);
      merged.set(last[1]);
      merged.set(data, last[1].length);
      last[1] = merged;
    } else {
      out.push([addr, data]);
    }
  }
  return out;
}

/** Intel HEX text byte-identical to Python intelhex's `tofile(path, 'hex')` for the same data. */
export function formatIntelHex(segments: readonly HexSegment[]): string {
  const blocks = contiguousRuns(segments);
  const lines: string[] = [];
  const last = blocks[blocks.length - 1];
  const maxAddr = last ? last[0] + last[1].length - 1 : 0;
  if (maxAddr > 0xffffffff) throw new IntelHexError('data lies above the 4 GiB Intel HEX address space');
  const needOffsetRecords = maxAddr > 0xffff;
  let high = -1;
  for (const [start, data] of blocks) {
    let off = 0;
    while (off < data.length) {
      const addr = start + off;
      if (needOffsetRecords && addr >>> 16 !== high) {
        high = addr >>> 16;
        lines.push(record(4, 0, [(high >> 8) & 0xff, high & 0xff]));
      }
      const low = addr & 0xffff;
      const len = Math.min(16, 0x10000 - low, data.length - off);
      lines.push(record(0, low, data.subarray(off, off + len)));
      off += len;
    }
  }
  lines.push(':00000001FF\n');
  return lines.join('');
}

/**
 * The segments `imgtool sign` writes to a .hex output: the unpadded image at `base`, and with
 * --pad only the boot magic (and with --confirm an image_ok block) at the slot's end — no fill.
 */
export function signedImageHexSegments(signed: SignedImage, base: number): HexSegment[] {
  const segments: HexSegment[] = [[base, signed.image]];
  if (!signed.pad) return segments;
  if (signed.imageOkBlock) {
    const flag = new Uint8Array(signed.maxAlign).fill(signed.erasedVal);
    if (signed.setImageOk) flag[0] = 0x01;
    segments.push([base + imgtoolImageOkOffset(signed.slotSize, signed.maxAlign), flag]);
  }
  segments.push([base + signed.slotSize - 16, bootMagic(signed.maxAlign)]);
  return segments;
}
