/**
 * The OS group's client calls over an SmpClient (Zephyr grp/os_mgmt, smp_group_0.rst): task and
 * memory-pool statistics, date-time, reset with its options, OS info, bootloader info. Pure.
 */
import type { RequestOptions, SmpClient } from '../../client/client.ts';
import {
  bootloaderInfo,
  dateTimeGet,
  dateTimeSet,
  type MemoryPool,
  mpStat,
  osInfo,
  reset,
  type TaskStatResponse,
  taskStat,
} from './models.ts';

export type TaskInfo = TaskStatResponse['tasks'][string];

/** taskstat: each thread's entry by name (or by priority / index, as the device's build names them). */
export async function taskStats(smp: SmpClient, options?: RequestOptions): Promise<Record<string, TaskInfo>> {
  return (await smp.request(taskStat, {}, options)).tasks;
}

/** mpstat: each memory pool by name (a Zephyr v3.5.0 device answers MGMT_ERR_ENOTSUP). */
export async function memoryPoolStats(
  smp: SmpClient,
  options?: RequestOptions,
): Promise<Record<string, MemoryPool>> {
  return (await smp.request(mpStat, {}, options)).mpools ?? {};
}

/** The device's RTC time as it prints it ("2026-12-02T12:00:00"; RTC_NOT_SET before a set). */
export async function dateTimeRead(smp: SmpClient, options?: RequestOptions): Promise<string> {
  return (await smp.request(dateTimeGet, {}, options)).datetime;
}

/**
 * Sets the device's RTC. `datetime` is "yyyy-MM-ddTHH:mm:ss" (".SSS" and a time zone may follow;
 * Zephyr ignores the zone, and the milliseconds unless built with them).
 */
export async function dateTimeWrite(
  smp: SmpClient,
  datetime: string,
  options?: RequestOptions,
): Promise<void> {
  await smp.request(dateTimeSet, { datetime }, options);
}

/** The device's local time now as the text `datetime set` takes (no zone: the RTC keeps none). */
export function localDateTime(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}` +
    `T${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`
  );
}

export interface ResetOptions extends RequestOptions {
  /** Ask the application to reset even if its reset hook would refuse. */
  readonly force?: boolean;
  /**
   * Retention boot mode for the next boot (1 = stay in the bootloader's serial recovery). Zephyr
   * reads it from v4.2.0 on (CONFIG_MCUMGR_GRP_OS_RESET_BOOT_MODE); v3.5.0 ignores the key.
   */
  readonly bootMode?: number;
}

/**
 * os reset. Never retried: the reply can be lost while the device reboots, and a second reset
 * could land on the freshly booted image (e.g. revert a test swap).
 */
export async function resetDevice(smp: SmpClient, options: ResetOptions = {}): Promise<void> {
  const { force, bootMode, ...request } = options;
  if (bootMode !== undefined && !(Number.isInteger(bootMode) && bootMode >= 0 && bootMode <= 255)) {
    throw new RangeError(`boot mode ${bootMode} is not a byte (0-255)`);
  }
  const body = {
    ...(force ? { force: true } : {}),
    ...(bootMode !== undefined ? { boot_mode: bootMode } : {}),
  };
  await smp.request(reset, body, { ...request, retries: 0 });
}

/** os info; `format` as `uname` letters (s n r v b m p i o, a for all). */
export async function osInfoText(smp: SmpClient, format?: string, options?: RequestOptions): Promise<string> {
  return (await smp.request(osInfo, format === undefined ? {} : { format }, options)).output;
}

export interface BootloaderInfo {
  /** "MCUboot" (no query). */
  readonly bootloader?: string;
  /** MCUboot's mode (query "mode"): -1 unknown, 0 single app, 1 swap using scratch, … */
  readonly mode?: number;
  /** Query "mode": the bootloader refuses downgrades (sent only when true). */
  readonly noDowngrade?: boolean;
}

/** Bootloader info: without a query, the bootloader's name; with one, its answer. */
export async function bootloaderInformation(
  smp: SmpClient,
  query?: string,
  options?: RequestOptions,
): Promise<BootloaderInfo> {
  const response = await smp.request(bootloaderInfo, query === undefined ? {} : { query }, options);
  return {
    ...(response.bootloader !== undefined ? { bootloader: response.bootloader } : {}),
    ...(response.mode !== undefined ? { mode: response.mode } : {}),
    ...(response['no-downgrade'] !== undefined ? { noDowngrade: response['no-downgrade'] } : {}),
  };
}

/** MCUboot's mode numbers (enum mcuboot_mode, boot/bootutil/include/bootutil/boot_status.h) in words. */
export const MCUBOOT_MODE_NAMES: Readonly<Record<number, string>> = {
  [-1]: 'unknown',
  0: 'single application',
  1: 'swap using scratch',
  2: 'overwrite only',
  3: 'swap using move',
  4: 'direct-XIP',
  5: 'direct-XIP with revert',
  6: 'RAM load',
  7: 'firmware loader',
  8: 'single slot RAM load',
  9: 'swap using offset',
};
