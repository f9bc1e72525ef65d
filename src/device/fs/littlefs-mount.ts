/**
 * Mounting LittleFS on a flash partition the way Zephyr v3.5.0's subsys/fs/littlefs_fs.c
 * (littlefs_mount) does: mount; if that fails and formatting is allowed (no
 * FS_MOUNT_FLAG_NO_FORMAT), format and mount again. The result is a MountedFs for the Vfs.
 */
import type { FlashArea } from '../flash.ts';
import {
  FlashBlockDevice,
  type FlashBlockDeviceOptions,
  ZEPHYR_LITTLEFS_DEFAULTS,
} from './flash-block-device.ts';
import {
  type DirEntry,
  type FileHandle,
  FS_O_APPEND,
  FS_O_CREATE,
  FS_O_FLAGS_MASK,
  FS_O_MODE_MASK,
  FS_O_READ,
  FS_O_TRUNC,
  FS_O_WRITE,
  FsError,
  type MountedFs,
  type StatVfs,
} from './fs-api.ts';
import { LFS_NAME_MAX, type LfsConfig } from './littlefs/config.ts';
import { Littlefs } from './littlefs/littlefs.ts';

export interface LittlefsMountOptions extends FlashBlockDeviceOptions {
  /** Format when the mount fails (Zephyr's default); false is FS_MOUNT_FLAG_NO_FORMAT. */
  formatIfNeeded?: boolean;
  cacheSize?: number;
  lookaheadSize?: number;
  blockCycles?: number;
  nameMax?: number;
}

/** A LittleFS mount: what the Vfs calls with paths relative to the mount point. */
export class LittlefsMount implements MountedFs {
  readonly type = 'littlefs';

  constructor(
    readonly lfs: Littlefs,
    readonly mountPoint: string,
    /** The mount had to format the partition first. */
    readonly formatted: boolean,
  ) {}

  open(path: string, flags: number): FileHandle {
    if ((flags & ~(FS_O_MODE_MASK | FS_O_FLAGS_MASK)) !== 0 || (flags & FS_O_MODE_MASK) === 0) {
      throw new FsError(
        'EINVAL',
        `${this.mountPoint}${path}: open flags 0x${flags.toString(16)} need FS_O_READ and/or FS_O_WRITE`,
      );
    }
    return this.lfs.open(path, {
      read: (flags & FS_O_READ) !== 0,
      write: (flags & FS_O_WRITE) !== 0,
      create: (flags & FS_O_CREATE) !== 0,
      append: (flags & FS_O_APPEND) !== 0,
      trunc: (flags & FS_O_TRUNC) !== 0,
    });
  }

  stat(path: string): DirEntry {
    return this.lfs.stat(path);
  }

  unlink(path: string): void {
    this.lfs.remove(path);
  }

  rename(from: string, to: string): void {
    this.lfs.rename(from, to);
  }

  mkdir(path: string): void {
    this.lfs.mkdir(path);
  }

  readdir(path: string): DirEntry[] {
    return this.lfs.readdir(path);
  }

  /** Zephyr's littlefs_statvfs: f_bsize is the prog size, f_frsize the block size. */
  statvfs(): StatVfs {
    const used = this.lfs.fsSize();
    return {
      bsize: this.lfs.bd.progSize,
      frsize: this.lfs.bd.blockSize,
      blocks: this.lfs.bd.blockCount,
      bfree: this.lfs.bd.blockCount - used,
    };
  }

  unmount(): void {
    this.lfs.unmount();
  }
}

/** The littlefs configuration Zephyr would use for this area and these overrides. */
export function littlefsConfig(opts: LittlefsMountOptions = {}): LfsConfig {
  return {
    cacheSize: opts.cacheSize ?? ZEPHYR_LITTLEFS_DEFAULTS.cacheSize,
    lookaheadSize: opts.lookaheadSize ?? ZEPHYR_LITTLEFS_DEFAULTS.lookaheadSize,
    blockCycles: opts.blockCycles ?? ZEPHYR_LITTLEFS_DEFAULTS.blockCycles,
    nameMax: opts.nameMax ?? LFS_NAME_MAX,
    fileMax: 0,
    attrMax: 0,
  };
}

/**
 * Mount LittleFS on `area` at `mountPoint` (e.g. '/lfs1'), formatting first when it does not
 * mount and `formatIfNeeded` is not false. An area too small for LittleFS (fewer than two
 * blocks, e.g. one 128 KiB sector) fails with -EINVAL, as it would on the board.
 */
export function mountLittlefs(
  area: FlashArea,
  mountPoint: string,
  opts: LittlefsMountOptions = {},
): LittlefsMount {
  const bd = new FlashBlockDevice(area, opts);
  const cfg = littlefsConfig(opts);
  Littlefs.checkGeometry(bd, cfg, `${mountPoint} (${area.label})`);
  try {
    return new LittlefsMount(Littlefs.mount(bd, cfg, mountPoint), mountPoint, false);
  } catch (e) {
    if (!(e instanceof FsError) || opts.formatIfNeeded === false) throw e;
  }
  Littlefs.format(bd, cfg, mountPoint);
  return new LittlefsMount(Littlefs.mount(bd, cfg, mountPoint), mountPoint, true);
}
