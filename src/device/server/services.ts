/**
 * What the running app offers the SMP groups it serves: the board, the server's build, the image
 * slots, the firmware's live state. A group's handlers take what they need from here, as Zephyr's
 * handlers reach their subsystems (flash map, stats, settings, file systems) through the kernel.
 */

import type { ImageSlots } from '../../groups/image/slots.ts';
import type { ImageVersion } from '../../image/version.ts';
import type { Board } from '../boards/board.ts';
import type { FlashArea } from '../flash.ts';
import type { FileSystemApi } from '../fs/fs-api.ts';
import type { SmpServerBuild } from './build-config.ts';

export type AppLogLevel = 'inf' | 'wrn' | 'err';

export interface DeviceServices {
  readonly board: Board;
  /** The SMP server's Kconfig (buffers, which options are on). */
  readonly build: SmpServerBuild;
  /** Every image's slots, as img_mgmt sees them. */
  readonly slots: ImageSlots;
  /** Version of the image MCUboot booted. */
  runningVersion(): ImageVersion | undefined;
  /** Reboots the device (sys_reboot). */
  requestReset(): void;
  /** Whether the app's main() still runs. */
  mainRunning(): boolean;
  /** Live stats groups the firmware registered. */
  stats(): ReadonlyMap<string, Readonly<Record<string, number>>>;
  /** The board's storage_partition (zephyr basic's erase, the file system's flash), if it has one. */
  readonly storage: FlashArea | undefined;
  /** The mounted file systems (Zephyr's fs_* calls), undefined when the app mounts none. */
  readonly fs: FileSystemApi | undefined;
  /** A log line from one of the app's subsystems (LOG_MODULE `module`). */
  log(level: AppLogLevel, module: string, message: string): void;
}
