/**
 * What the running app offers the SMP groups it serves: the board, the server's build, the image
 * slots, the firmware's live state. A group's handlers take what they need from here, as Zephyr's
 * handlers reach their subsystems (flash map, stats, settings, file systems) through the kernel.
 */

import type { ShellCommandSpec, ShellRunResult } from '../../../firmware/zephyr/host.ts';
import type { ImageSlots } from '../../groups/image/slots.ts';
import type { VirtualRtc } from '../../groups/os/rtc.ts';
import type { ImageVersion } from '../../image/version.ts';
import type { Board } from '../boards/board.ts';
import type { FlashArea } from '../flash.ts';
import type { FileSystemApi } from '../fs/fs-api.ts';
import type { SettingsSubsystem } from '../settings/settings.ts';
import type { SmpServerBuild } from './build-config.ts';

export type AppLogLevel = 'inf' | 'wrn' | 'err';

/** The shell commands the running app registered itself (SHELL_CMD_REGISTER), and running one. */
export interface AppShell {
  commands(): readonly ShellCommandSpec[];
  /** Rejects (a FirmwareShellError) when the app does not answer in `timeoutMs` or stops. */
  run(path: readonly string[], argv: readonly string[], timeoutMs: number): Promise<ShellRunResult>;
}

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
  /** The settings subsystem (its handlers and its backend on `fs`, none without a file system). */
  readonly settings: SettingsSubsystem;
  /** settings_subsys_init: readies the backend (0 or a negative errno). */
  settingsInit(): number;
  /** A log line from one of the app's subsystems (LOG_MODULE `module`). */
  log(level: AppLogLevel, module: string, message: string): void;
  /** Called once when this run of the app ends (reset, power-off, halt): drop RAM state, timers. */
  onStop(listener: () => void): void;
  /** The board's real-time clock (kept across warm resets, lost on power-off). */
  readonly rtc: VirtualRtc;
  /** k_uptime_get: milliseconds since the app's kernel started. */
  uptimeMs(): number;
  /** The app's own shell commands. */
  readonly shell: AppShell;
  /** hwinfo_get_device_id: the SoC's unique id. */
  readonly hwinfoId: Uint8Array;
  /**
   * Runs flash work of the app's own (a download into slot 1) and then takes the time the board's
   * flash would, as the SMP work queue does after a request that erased or wrote.
   */
  flashWork<T>(work: () => T | Promise<T>): Promise<T>;
}
