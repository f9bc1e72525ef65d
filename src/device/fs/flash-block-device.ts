/**
 * A LittleFS block device over a board's flash partition, configured as Zephyr v3.5.0's
 * subsys/fs/littlefs_fs.c does: the block is the largest erase page in the area (get_block_size),
 * the block count is the area size over it, read size CONFIG_FS_LITTLEFS_READ_SIZE (16), prog size
 * CONFIG_FS_LITTLEFS_PROG_SIZE (16), raised to the flash's write-block size when that is larger
 * (the brief's rule: littlefs must never program less than the flash can). Every read, program and
 * erase goes through FlashArea, so flash timing, counters and power cuts apply.
 */
import type { FlashArea } from '../flash.ts';
import { FsError } from './fs-api.ts';
import { type BlockDevice, ProgramFailed } from './littlefs/config.ts';

/** Zephyr's Kconfig defaults for littlefs (subsys/fs/Kconfig.littlefs, v3.5.0). */
export const ZEPHYR_LITTLEFS_DEFAULTS = {
  readSize: 16,
  progSize: 16,
  cacheSize: 64,
  lookaheadSize: 32,
  blockCycles: 512,
} as const;

export interface FlashBlockDeviceOptions {
  /** Override the block size (Zephyr allows it in the fs_littlefs config); default the largest sector. */
  blockSize?: number;
  readSize?: number;
  progSize?: number;
}

/** The largest erase sector in the area (Zephyr's get_block_size over flash_page_foreach). */
export function largestSector(area: FlashArea): number {
  let max = 0;
  for (const s of area.sectors) max = Math.max(max, s.size);
  return max;
}

export class FlashBlockDevice implements BlockDevice {
  readonly blockSize: number;
  readonly blockCount: number;
  readonly readSize: number;
  readonly progSize: number;

  constructor(
    readonly area: FlashArea,
    opts: FlashBlockDeviceOptions = {},
  ) {
    this.blockSize = opts.blockSize ?? largestSector(area);
    this.readSize = opts.readSize ?? ZEPHYR_LITTLEFS_DEFAULTS.readSize;
    this.progSize = Math.max(opts.progSize ?? ZEPHYR_LITTLEFS_DEFAULTS.progSize, area.align);
    this.blockCount = Math.floor(area.size / this.blockSize);
    const bad = (why: string) => new FsError('EINVAL', `${area.label}: ${why}`);
    if (this.progSize % area.align !== 0) {
      throw bad(
        `prog size ${this.progSize} is not a multiple of the flash write block of ${area.align} bytes`,
      );
    }
    if (this.blockSize % this.progSize !== 0) {
      throw bad(`block size ${this.blockSize} is not a multiple of prog size ${this.progSize}`);
    }
    if (area.size % this.blockSize !== 0) {
      throw bad(
        `partition size 0x${area.size.toString(16)} is not a multiple of the ${this.blockSize}-byte block`,
      );
    }
    // Each block must be erasable on its own: its edges must fall on sector edges.
    const edges = new Set(area.sectors.map((s) => s.offset));
    edges.add(area.size);
    for (let b = 0; b <= this.blockCount; b++) {
      if (!edges.has(b * this.blockSize)) {
        throw bad(`block ${b} starts at 0x${(b * this.blockSize).toString(16)}, inside an erase sector`);
      }
    }
  }

  read(block: number, off: number, length: number): Uint8Array {
    return this.area.read(this.at(block, off, length), length);
  }

  prog(block: number, off: number, data: Uint8Array): void {
    const at = this.at(block, off, data.length);
    // Real NOR flash would AND the bits and littlefs's read-back check would find the commit bad;
    // the flash model refuses such a write, so report it the way littlefs would see it.
    if (!this.area.isErased(at, data.length)) {
      throw new ProgramFailed(
        `${this.area.label}: block ${block} offset ${off}: ${data.length} bytes to program are not all erased`,
      );
    }
    this.area.write(at, data);
  }

  erase(block: number): void {
    this.area.erase(this.at(block, 0, this.blockSize), this.blockSize);
  }

  private at(block: number, off: number, length: number): number {
    if (block >= this.blockCount || off < 0 || off + length > this.blockSize) {
      throw new FsError(
        'EIO',
        `${this.area.label}: block ${block} offset ${off}+${length} is outside ${this.blockCount} blocks of ${this.blockSize} bytes`,
      );
    }
    return block * this.blockSize + off;
  }
}
