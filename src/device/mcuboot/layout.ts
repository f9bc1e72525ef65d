// The seam between a board description and the bootloader model. MCUboot itself never sees a
// devicetree: it opens flash areas by id (FLASH_AREA_IMAGE_PRIMARY(i), _SECONDARY(i), _SCRATCH in
// sysflash.h) and each area names its own flash device. BootLayout is that list of areas; every
// area may sit on a different Flash (e.g. slot 1 on an external SPI NOR). Only this file reads a
// Board's partitions.
import {
  type Board,
  deviceOf,
  findPartition,
  type McubootConfig,
  type Partition,
  slotPartition,
} from '../boards/board.ts';
import type { BoardFlashes } from '../boards/flashes.ts';
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

/**
 * The Flash of the device a partition lies on: one Flash for a board with one flash device, else
 * one per device (createBoardFlashes).
 */
export function flashOfPartition(board: Board, flash: Flash | BoardFlashes, partition: Partition): Flash {
  const device = deviceOf(board, partition);
  if (!(flash instanceof Map)) {
    if (board.flashDevices.length > 1) {
      throw new RangeError(
        `${board.name} has ${board.flashDevices.length} flash devices: give one Flash per device`,
      );
    }
    return flash as Flash;
  }
  const found = flash.get(device.id);
  if (!found) throw new RangeError(`${board.name}: no Flash given for the flash device ${device.id}`);
  return found;
}

/** The flash area of the partition labelled `label` (e.g. storage_partition), if the board has it. */
export function partitionArea(
  board: Board,
  flash: Flash | BoardFlashes,
  label: string,
): FlashArea | undefined {
  const partition = findPartition(board, label);
  return partition ? new FlashArea(flashOfPartition(board, flash, partition), partition) : undefined;
}

/**
 * A board's images (slot(2i)/slot(2i+1)_partition, as sysflash.h pairs them; one scratch
 * partition shared by all), each area on the Flash of its own device. Internal flash is mapped
 * at its base address; external NOR is not executable in place.
 */
export function bootLayoutFromBoard(board: Board, flash: Flash | BoardFlashes): BootLayout {
  const area = (partition: Partition) => new FlashArea(flashOfPartition(board, flash, partition), partition);
  const scratch = findPartition(board, 'scratch_partition');
  const images: ImageLayout[] = [];
  for (let i = 0; i < board.mcuboot.imageNumber; i++) {
    const image: ImageLayout = {
      primary: area(slotPartition(board, 0, i)),
      secondary: area(slotPartition(board, 1, i)),
    };
    if (scratch) image.scratch = area(scratch);
    images.push(image);
  }
  const mappedAt = new Map<Flash, number>();
  for (const device of board.flashDevices) {
    if (device.kind !== 'internal') continue;
    const deviceFlash = flash instanceof Map ? flash.get(device.id) : flash;
    if (deviceFlash && !mappedAt.has(deviceFlash)) mappedAt.set(deviceFlash, device.base);
  }
  return { images, mappedAt };
}

export function bootSetupFromBoard(board: Board, flash: Flash | BoardFlashes): BootSetup {
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
