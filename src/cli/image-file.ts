/**
 * The bytes `image upload` and `dfu` send for a file: a .bin as it is, a .hex as the image it
 * holds. A HEX from `zdfu sign`/`imgtool sign` is one region (the image) or, signed with --pad,
 * the image plus the trailer's magic (and image_ok) at the slot's end: that is read as the padded
 * image, erased bytes (0xff) in between, exactly as the padded .bin would be. Anything else (a
 * merged HEX with a bootloader, data in several places) cannot be one upload and is refused.
 */
import { bootMagic, IntelHexError, intelHexRegions, parseImage } from '../image/index.ts';
import { CliError } from './errors.ts';

const MAGIC_8 = bootMagic(8);
// With BOOT_MAX_ALIGN > 8 the magic starts with the alignment, then a fixed tail (bootutil).
const MAGIC_TAIL = bootMagic(16).subarray(2);

function endsWithBootMagic(bytes: Uint8Array): boolean {
  if (bytes.length < MAGIC_8.length) return false;
  const last = bytes.subarray(bytes.length - MAGIC_8.length);
  const same = (a: Uint8Array, b: Uint8Array) => a.every((x, i) => x === b[i]);
  return same(last, MAGIC_8) || same(last.subarray(2), MAGIC_TAIL);
}

function isImage(bytes: Uint8Array): boolean {
  try {
    parseImage(bytes);
    return true;
  } catch {
    return false;
  }
}

function hexAddress(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;
}

/** The image an Intel HEX file holds (see the module comment). */
export function imageFromIntelHex(text: string, path: string): Uint8Array {
  let regions: ReturnType<typeof intelHexRegions>;
  try {
    regions = intelHexRegions(text);
  } catch (err) {
    if (err instanceof IntelHexError) throw new CliError(`${path}: ${err.message}.`);
    throw err;
  }
  const [first, ...rest] = regions;
  if (first === undefined) throw new CliError(`${path}: the Intel HEX file holds no data.`);
  if (rest.length === 0) return first[1];
  const last = rest[rest.length - 1]!;
  if (isImage(first[1]) && endsWithBootMagic(last[1])) {
    const base = first[0];
    const out = new Uint8Array(last[0] + last[1].length - base).fill(0xff);
    for (const [addr, bytes] of regions) out.set(bytes, addr - base);
    return out;
  }
  const listed = regions
    .slice(0, 4)
    .map(([addr, bytes]) => `${hexAddress(addr)}–${hexAddress(addr + bytes.length - 1)}`)
    .join(', ');
  const more = regions.length > 4 ? ', …' : '';
  throw new CliError(
    `${path} holds ${regions.length} separate regions (${listed}${more}), not one MCUboot image: ` +
      'an upload sends one image (with, when signed with --pad, its trailer at the slot end). ' +
      'Upload the signed .bin, or a HEX that holds only the image.',
  );
}
