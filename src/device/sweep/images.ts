// The two images a sweep moves between: "old" (1.0.0, running) and "new" (2.0.0), signed with the
// repository's development key for the board's slot geometry, as `imgtool sign` would for it.
import { signImage } from '../../image/sign.ts';
import { trailerLayout } from '../../image/trailer.ts';
import { validateForBoot } from '../../image/verify.ts';
import { seededBytes } from '../../util/seeded-random.ts';
import { type Board, deviceOf, slotPartition } from '../boards/board.ts';
import { bootloaderKeysFor, devSigningKeyFor } from '../io/board-images.ts';

export interface SweepImages {
  old: Uint8Array;
  new: Uint8Array;
  /** A third image, left in the secondary slot before an upload replaces it. */
  stale: Uint8Array;
}

const body = seededBytes;

/**
 * The images for MCUboot image `image` (its own slot size). On a board with several images, image
 * 0's new version depends on image 1 at 2.0.0 or later (a dependency TLV, as an nRF5340 app core
 * image names the network core image it needs), so the two must be updated together.
 */
export async function sweepImages(board: Board, bodySize: number, image = 0): Promise<SweepImages> {
  const key = await devSigningKeyFor(board);
  const slot = slotPartition(board, 0, image);
  const dependencies =
    image === 0 && board.mcuboot.imageNumber > 1 ? [{ imageId: 1, version: '2.0.0' }] : undefined;
  // RAM-load copies an image to its load address (imgtool --load-addr sets IMAGE_F_RAM_LOAD):
  // image 0 at the start of the executable RAM.
  const ram = board.mcuboot.mode === 'ram-load' ? board.mcuboot.executableRam : undefined;
  if (ram && board.mcuboot.imageNumber > 1) {
    throw new Error(`${board.name}: the sweep loads one image into RAM; this board has several`);
  }
  const sign = (seed: number, version: string, withDeps = false) =>
    signImage(body(bodySize, seed + image * 16), {
      ...(ram ? { loadAddr: ram.start } : {}),
      ...(withDeps && dependencies ? { dependencies } : {}),
      ...(key ? { key } : {}),
      headerSize: board.mcuboot.headerSize,
      padHeader: true,
      slotSize: slot.size,
      version,
      align: deviceOf(board, slot).writeBlockSize as 1 | 2 | 4 | 8,
      overwriteOnly: board.mcuboot.mode === 'overwrite-only',
    });
  return {
    old: await sign(1, '1.0.0'),
    new: await sign(2, '2.0.0', true),
    stale: await sign(3, '0.9.0'),
  };
}

/**
 * An image check with the shape MCUboot's validator hook takes (slot, bytes); declared here rather
 * than borrowed from the MCUboot model, so the sweep also calls it itself for its invariant.
 */
export type SweepValidator = (
  slot: 'primary' | 'secondary',
  bytes: Uint8Array,
) => Promise<{ ok: boolean; reason?: string }>;

/** bootutil_img_validate as the virtual device runs it: hash, and signature when the board has keys. */
export async function sweepValidator(board: Board): Promise<SweepValidator> {
  const keys = await bootloaderKeysFor(board);
  const trailer = trailerLayout({
    slotSize: slotPartition(board, 0).size,
    maxAlign: board.mcuboot.maxAlign,
    writeSize: deviceOf(board, slotPartition(board, 0)).writeBlockSize,
    maxSectors: board.mcuboot.maxImgSectors,
  });
  return async (_slot, bytes) => {
    const verdict = await validateForBoot(bytes, { keys, maxImageSize: trailer.trailerStart });
    return { ok: verdict.ok, reason: verdict.message };
  };
}
