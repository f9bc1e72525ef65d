/**
 * What a virtual board's MCUboot trusts and what it boots out of the box: the repository's
 * development public key of the board's signature type (keys/, never for products), and the
 * blinky firmware signed for that board. The prebuilt images (npm run build: RSA-2048, 0x200
 * header) serve the boards whose MCUboot takes them as they are; for the others the same
 * zephyr.bin is signed here with the board's development key and header size, as a user would
 * with `zdfu sign` (imgtool sign). Node only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPublicKey, loadSigningKey, type PublicKey, type SigningKey } from '../../image/keys.ts';
import { signImage } from '../../image/sign.ts';
import { type Board, slotPartition } from '../boards/board.ts';
import { DEV_KEYS } from '../boards/bootloader-keys.ts';
import { type BlinkyName, blinkyImagePath, packageRoot, readBlinkyImage } from './artifacts.ts';

/** The versions `npm run build` gives Binary One and Two (firmware/build.ts BLINKY_VARIANTS). */
const BLINKY_VERSIONS: Record<BlinkyName, string> = { 'blinky-one': '1.0.0', 'blinky-two': '2.0.0' };
/** How the prebuilt images are signed (scripts/build-firmware.ts). */
const PREBUILT = { signature: 'rsa-2048', headerSize: 0x200 } as const;

function devKeyOf(board: Board): { file: string; publicPem: string } {
  const signature = board.mcuboot.signature;
  const key = DEV_KEYS[signature];
  if (!key) {
    throw new Error(
      `${board.name}: its MCUboot checks ${signature} signatures, and zdfu has no development key of that ` +
        `type (it has ${Object.keys(DEV_KEYS).join(', ')}); build the board with one of those, or give ` +
        'signature: none for hash-only images',
    );
  }
  return key;
}

/** The development private key of the board's signature type; undefined for hash-only builds. */
export async function devSigningKeyFor(board: Board): Promise<SigningKey | undefined> {
  if (board.mcuboot.signature === 'none') return undefined;
  return loadSigningKey(readFileSync(join(packageRoot(), devKeyOf(board).file), 'utf8'));
}

/** bootutil_keys[] of the board's MCUboot: empty for hash-only builds. */
export async function bootloaderKeysFor(board: Board): Promise<PublicKey[]> {
  if (board.mcuboot.signature === 'none') return [];
  return [await loadPublicKey(devKeyOf(board).publicPem)];
}

/**
 * Binary One or Two, signed so that the board's MCUboot boots it; with `key`, signed with that key
 * instead (a board whose MCUboot trusts another key: a fleet rehearsal's refused image).
 */
export async function blinkyImageFor(board: Board, name: BlinkyName, key?: SigningKey): Promise<Uint8Array> {
  const { signature } = board.mcuboot;
  // Hash-only builds boot any image whose SHA-256 TLV matches: the prebuilt ones do.
  if (!key && (signature === PREBUILT.signature || signature === 'none')) return readBlinkyImage(name);
  const binPath = join(packageRoot(), 'build', 'firmware', name, 'zephyr.bin');
  if (!existsSync(binPath)) {
    throw new Error(
      `${blinkyImagePath(name)} and zephyr.bin beside it are missing: build the firmware first (npm run build)`,
    );
  }
  return signImage(new Uint8Array(readFileSync(binPath)), {
    key: key ?? (await devSigningKeyFor(board)),
    // zephyr.bin keeps CONFIG_ROM_START_OFFSET bytes for the header; MCUboot reads the size
    // from each image's own header (ih_hdr_size).
    headerSize: PREBUILT.headerSize,
    slotSize: slotPartition(board, 0).size,
    version: BLINKY_VERSIONS[name],
  });
}

/**
 * What `west flash` writes to each image's primary slot of a new board: Binary One for the
 * application (image 0), and for every further image (an nRF5340's network core) the same
 * blinky built for that core. The virtual board runs only the application core's firmware;
 * MCUboot checks and boots the others as it would.
 */
export async function factoryImages(board: Board): Promise<Uint8Array[]> {
  const one = await blinkyImageFor(board, 'blinky-one');
  return Array.from({ length: board.mcuboot.imageNumber }, () => one);
}
