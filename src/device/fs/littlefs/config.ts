/**
 * What littlefs needs from the storage below it and how it is tuned (lfs.h struct lfs_config).
 * The block device is synchronous; a failed program (bytes not erased) is reported as
 * `ProgramFailed` so a commit can fall back to compaction, as littlefs does on LFS_ERR_CORRUPT.
 */

export interface BlockDevice {
  /** Erase unit littlefs uses (lfs_config.block_size). */
  readonly blockSize: number;
  readonly blockCount: number;
  /** Minimum read (lfs_config.read_size). */
  readonly readSize: number;
  /** Minimum program; every program is aligned to and a multiple of it (lfs_config.prog_size). */
  readonly progSize: number;
  read(block: number, off: number, length: number): Uint8Array;
  prog(block: number, off: number, data: Uint8Array): void;
  erase(block: number): void;
}

/** The bytes to be programmed were not all erased (what verification catches on real NOR flash). */
export class ProgramFailed extends Error {
  override readonly name = 'ProgramFailed';
}

export interface LfsConfig {
  /** lfs_config.cache_size: programs of data go out in pieces of this size. */
  cacheSize: number;
  /** lfs_config.lookahead_size in bytes (8 blocks per byte). */
  lookaheadSize: number;
  /** lfs_config.block_cycles; kept for statistics and future wear levelling (see littlefs.ts). */
  blockCycles: number;
  /** Longest file name, bytes (lfs_config.name_max; 0 = LFS_NAME_MAX 255). */
  nameMax: number;
  /** Largest file, bytes (LFS_FILE_MAX). */
  fileMax: number;
  /** Largest user attribute, bytes (LFS_ATTR_MAX). */
  attrMax: number;
}

/** littlefs's own limits (lfs.h LFS_NAME_MAX, LFS_FILE_MAX, LFS_ATTR_MAX). */
export const LFS_NAME_MAX = 255;
export const LFS_FILE_MAX = 2147483647;
export const LFS_ATTR_MAX = 1022;

/** The on-disk version written (lfs.h LFS_DISK_VERSION of littlefs v2.5, which Zephyr v3.5.0 ships). */
export const DISK_VERSION = 0x00020000;
/** Newest minor version read: lfs2.1 images (FCRC tags) mount too. */
export const DISK_VERSION_MINOR_MAX = 1;

/** Blocks littlefs needs at the least: the superblock pair and one more pair to ever compact into. */
export const MIN_BLOCK_COUNT = 2;
