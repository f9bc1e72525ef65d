// The seam between a board description and the bootloader model. MCUboot itself never sees a
// devicetree: it opens flash areas by id (FLASH_AREA_IMAGE_PRIMARY(i), _SECONDARY(i), _SCRATCH in
// sysflash.h) and each area names its own flash device. BootLayout is that list of areas; every
// area may sit on a different Flash (e.g. slot 1 on an external SPI NOR). Only this file reads a
// Board's partitions.
import type { Board, McubootConfig } from '../boards/board.ts';
import { type Flash, FlashArea } from '../flash.ts';

/** One image's areas (state->imgs[i][slot].area, and the scratch area when swapping with it). */
export interface ImageLayout {
  primary: FlashArea;
  secondary: FlashArea;
  scratch?: FlashArea;
}

export interface BootLayout {
  /** Image 0 first (BOOT_IMAGE_NUMBER = images.length). */
  images: readonly ImageLayout[];
  /**
   * CPU address each memory-mapped flash device starts at: chainload addresses are
   * base + area offset. A device missing here (external SPI NOR) cannot be executed in place.
   */
  mappedAt: ReadonlyMap<Flash, number>;
}

/** What a board's MCUboot build contributes besides its areas. */
export interface BootSetup {
  layout: BootLayout;
  config: McubootConfig;
  /** Lines printed before MCUboot's own log. */
  banner: readonly string[];
  /** MCUboot release, to choose its swap decision table. */
  mcubootVersion: string;
}

/** Today's Board shape: one flash device, slot0/slot1 (+ scratch) partitions, one image. */
export function bootLayoutFromBoard(board: Board, flash: Flash): BootLayout {
  const { slot0, slot1, scratch } = board.partitions;
  const image: ImageLayout = {
    primary: new FlashArea(flash, slot0),
    secondary: new FlashArea(flash, slot1),
  };
  if (scratch) image.scratch = new FlashArea(flash, scratch);
  return { images: [image], mappedAt: new Map([[flash, board.flash.base]]) };
}

export function bootSetupFromBoard(board: Board, flash: Flash): BootSetup {
  return {
    layout: bootLayoutFromBoard(board, flash),
    config: board.mcuboot,
    banner: board.bootBanner,
    mcubootVersion: board.versions.mcuboot,
  };
}

/** Every distinct Flash the layout touches (to total their operations and simulated time). */
export function layoutFlashes(layout: BootLayout): Flash[] {
  const out = new Set<Flash>();
  for (const img of layout.images) {
    out.add(img.primary.flash);
    out.add(img.secondary.flash);
    if (img.scratch) out.add(img.scratch.flash);
  }
  return [...out];
}

/** A layout this MCUboot build could not have been built for (a bad board description). */
export class BootLayoutError extends Error {
  override name = 'BootLayoutError';
}

/**
 * What the MCUboot build system would refuse: swap using scratch without a scratch partition,
 * RAM-load without an executable RAM region, more images than swap_info's 4-bit image number.
 */
export function checkLayout(layout: BootLayout, config: McubootConfig): void {
  const n = layout.images.length;
  if (n < 1 || n > 16) {
    throw new BootLayoutError(`MCUboot supports 1 to 16 images (BOOT_IMAGE_NUMBER); this layout has ${n}`);
  }
  layout.images.forEach((img, i) => {
    if (config.mode === 'swap-scratch' && !img.scratch) {
      throw new BootLayoutError(
        `image ${i}: swap using scratch needs a scratch partition; add one or choose swap-move / swap-offset`,
      );
    }
  });
  const ram = config.executableRam;
  if (config.mode === 'ram-load' && (!ram || ram.size <= 0)) {
    throw new BootLayoutError(
      'RAM-load needs the executable RAM region images are copied to (mcuboot.executableRam: start and size)',
    );
  }
}
