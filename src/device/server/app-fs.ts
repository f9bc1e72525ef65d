/**
 * The app's file system at start-up, as Zephyr v3.5.0's smp_svr sample with overlay-fs.conf sets
 * it up (samples/subsys/mgmt/mcumgr/smp_svr/src/main.c): main() mounts LittleFS from
 * storage_partition at /lfs1 with fs_mount; subsys/fs/littlefs_fs.c (littlefs_mount) formats the
 * partition when it does not mount. The lines both print go to the app's log. When the mount
 * fails (a partition LittleFS cannot use, such as one 128 KiB sector) main logs "Error mounting
 * littlefs [rc]" and runs on with nothing mounted: fs_mgmt then finds no mount point.
 *
 * The file-system log backend (log_backend_fs.c) writes into the same file system.
 */
import type { FlashArea } from '../flash.ts';
import { ZEPHYR_LITTLEFS_DEFAULTS } from '../fs/flash-block-device.ts';
import { FsError } from '../fs/fs-api.ts';
import { mountLittlefs } from '../fs/littlefs-mount.ts';
import { Vfs } from '../fs/vfs.ts';
import type { AppLogLevel } from './services.ts';

/** smp_svr's mount point (littlefs_mnt.mnt_point). */
export const SMP_SVR_MOUNT_POINT = '/lfs1';

/** The littlefs module's version lines (Zephyr v3.5.0 ships littlefs v2.5: disk version 2.0). */
const LFS_VERSION = '2.5';
const LFS_DISK_VERSION = '2.0';
/** LFS_ERR_CORRUPT: what lfs_mount returns on a partition that holds no file system. */
const LFS_ERR_CORRUPT = -84;

export interface AppFileSystem {
  /** What fs_* calls see: /lfs1 when the mount worked, no mount point when it failed. */
  readonly vfs: Vfs;
  /** The mount failed with this negative errno (undefined when /lfs1 is mounted). */
  readonly mountError: number | undefined;
}

type Log = (level: AppLogLevel, module: string, message: string) => void;

/**
 * Mounts storage_partition at /lfs1 (formatting it if it does not mount), logging as Zephyr does.
 * `deviceName` stands for the flash driver's dev->name in littlefs's "FS at …" line (Zephyr prints
 * the devicetree node, e.g. flash-controller@4001e000; the board data names it flash0).
 */
export function mountAppFileSystem(
  storage: FlashArea | undefined,
  deviceName: string,
  log: Log,
): AppFileSystem {
  const vfs = new Vfs();
  if (!storage) {
    // FIXED_PARTITION_ID(storage_partition) would not build; an app without one mounts nothing.
    return { vfs, mountError: -19 };
  }
  const point = SMP_SVR_MOUNT_POINT;
  const d = ZEPHYR_LITTLEFS_DEFAULTS;
  const blockSize = Math.max(...storage.sectors.map((sector) => sector.size));
  const blockCount = Math.floor(storage.size / blockSize);
  log('inf', 'littlefs', `LittleFS version ${LFS_VERSION}, disk version ${LFS_DISK_VERSION}`);
  log(
    'inf',
    'littlefs',
    `FS at ${deviceName}:0x${storage.offset.toString(16)} is ${blockCount} 0x${blockSize.toString(16)}-byte blocks with ${d.blockCycles} cycle`,
  );
  log(
    'inf',
    'littlefs',
    `sizes: rd ${d.readSize} ; pr ${Math.max(d.progSize, storage.align)} ; ca ${d.cacheSize} ; la ${d.lookaheadSize}`,
  );
  try {
    const mount = mountLittlefs(storage, point);
    if (mount.formatted) log('wrn', 'littlefs', `can't mount (LFS ${LFS_ERR_CORRUPT}); formatting`);
    vfs.mount(point, mount);
    log('inf', 'littlefs', `${point} mounted`);
    return { vfs, mountError: undefined };
  } catch (error) {
    if (!(error instanceof FsError)) throw error;
    // A partition LittleFS cannot use does not mount, and formatting it fails too. (On the board
    // lfs_format's own code would be printed; the model's check reports -EINVAL.)
    log('wrn', 'littlefs', `can't mount (LFS ${LFS_ERR_CORRUPT}); formatting`);
    log('err', 'littlefs', `format failed (LFS ${error.errno})`);
    log('err', 'smp_sample', `Error mounting littlefs [${error.errno}]`);
    return { vfs, mountError: error.errno };
  }
}
