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
