/**
 * OS management group (0) of the virtual device's SMP server, as Zephyr v3.5.0's
 * subsys/mgmt/mcumgr/grp/os_mgmt/src/os_mgmt.c answers: echo, taskstat, date-time, reset, params,
 * info, bootloader info. Memory pool stats (command 3) has no handler in v3.5.0, so it is not
 * registered and the server answers MGMT_ERR_ENOTSUP, as the real one does.
 */

import type { Board, McubootMode } from '../../device/boards/board.ts';
import type { SmpServerBuild } from '../../device/server/build-config.ts';
import { GroupError, MgmtErr, MgmtError } from '../../device/server/mgmt-error.ts';
import type { SmpServer } from '../../device/server/smp-server.ts';
import { defineCommand } from '../../smp/command.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { optional, text } from '../../smp/schema.ts';
import { DateTimeFormatError, formatDateTime, parseDateTime } from './datetime.ts';
import { OsErr } from './group.ts';
import { kernelVersion } from './kernel-version.ts';
import {
  bootloaderInfo,
  dateTimeGet,
  dateTimeSet,
  echo,
  echoRead,
  mcumgrParams,
  osInfo,
  reset,
} from './models.ts';
import type { VirtualRtc } from './rtc.ts';
import { encodeTasks, smpServerThreads, taskStatAsEncoded } from './taskstat.ts';

/**
 * Bootloader-info "mode" values: MCUboot's enum mcuboot_mode (boot/bootutil/include/bootutil/
 * boot_status.h) for the modes v3.5.0's os_mgmt.c maps from CONFIG_MCUBOOT_BOOTLOADER_MODE_*:
 * single app, swap using scratch, overwrite only, swap without scratch, direct-XIP with and
 * without revert. Any other mode (RAM load, swap using offset) falls to its `#else`: -1.
 */
const MCUBOOT_MODE: Readonly<Record<McubootMode, number>> = {
  'swap-scratch': 1,
  'overwrite-only': 2,
  'swap-move': 3,
  'direct-xip': 4,
  'direct-xip-revert': 5,
  'ram-load': -1,
  'swap-offset': -1,
};

/** CONFIG_MCUMGR_GRP_OS_INFO_MAX_RESPONSE_SIZE (default 256): the info output buffer, NUL included. */
export const INFO_MAX_RESPONSE_SIZE = 256;

/** The board's Zephyr release as [major, minor] ("zephyr-v3.5.0" → [3, 5]); [0, 0] if unreadable. */
function zephyrRelease(board: Board): [number, number] {
  const match = /(\d+)\.(\d+)/.exec(board.versions.zephyr);
  return match ? [Number(match[1]), Number(match[2])] : [0, 0];
}

export interface OsGroupOptions {
  board: Board;
  /** The server's build (params, taskstat). */
  build: SmpServerBuild;
  /** Whether the app's main() still runs (its thread is listed by taskstat). Default true. */
  mainRunning?: () => boolean;
  /** Reboots the device; called CONFIG_MCUMGR_GRP_OS_RESET_MS after the reset response. */
  requestReset: () => void;
  resetDelayMs?: number;
  /** The board's RTC (the `rtc` alias): date-time get/set go to it. */
  rtc?: VirtualRtc;
}

/** Fields of os info in Zephyr's fixed output order, keyed by their format character. */
function infoFields(board: Board): ReadonlyArray<[string, string]> {
  return [
    ['s', 'Zephyr'],
    // CONFIG_NET_HOSTNAME_ENABLE and CONFIG_BT are off in smp_svr's serial and UDP builds.
    ['n', 'unknown'],
    // BUILD_VERSION (the tree's `git describe`: "zephyr-v3.5.0"), then KERNEL_VERSION_STRING ("3.5.0").
    ['r', board.versions.zephyr],
    ['v', kernelVersion(board)],
    ['m', board.cpu.arch],
    ['p', board.cpu.processor],
    ['i', board.name],
    ['o', 'Zephyr'],
  ];
}

/**
 * os_mgmt.c os_mgmt_echo decodes "d" into a zcbor_string that starts empty, so a request without
 * "d" is answered {"r": ""}; only a "d" that is not text fails the decode (EINVAL).
 */
const echoWithoutD = defineCommand({ ...echo, request: { d: optional(text()) }, response: { r: text() } });
const echoReadWithoutD = defineCommand({
  ...echoRead,
  request: { d: optional(text()) },
  response: { r: text() },
});

export function registerOsGroup(server: SmpServer, options: OsGroupOptions): void {
  const { board, build } = options;
  server.register(echoWithoutD, (request) => ({ r: request.d ?? '' }));
  server.register(echoReadWithoutD, (request) => ({ r: request.d ?? '' }));

  const taskstat = build.taskstat;
  if (taskstat) {
    server.register(
      taskStatAsEncoded,
      () => ({
        tasks: encodeTasks(smpServerThreads(options.mainRunning?.() ?? true, build), taskstat),
      }),
      { readsRequest: false },
    );
  }

  // Without CONFIG_MCUMGR_GRP_OS_RESET_HOOK the handler never decodes its request ("force").
  server.register(
    reset,
    () => {
      setTimeout(options.requestReset, options.resetDelayMs ?? 250);
      return {};
    },
    { readsRequest: false },
  );

  server.register(
    mcumgrParams,
    () => ({ buf_size: options.build.netbufSize, buf_count: options.build.netbufCount }),
    { readsRequest: false },
  );

  server.register(osInfo, (request) => ({ output: osInfoOutput(board, request.format ?? '') }));

  // os_mgmt_bootloader_info. With no "query" key it introduces the bootloader; "mode" answers
  // the build's MCUboot mode. v3.5.0 has two slips there: "no-downgrade" hangs on
  // `IS_ENABLED(MCUBOOT_BOOTLOADER_NO_DOWNGRADE)`, without the CONFIG_ prefix, so it is never sent
  // (fixed by zephyr PR #69860, March 2024, first released in v3.7.0: a board file naming a later
  // Zephyr gets it when its MCUboot prevents downgrades); and any other query returns
  // OS_MGMT_ERR_QUERY_YIELDS_NO_ANSWER as the handler's SMP result, so the client reads a bare
  // {"rc": 3} (MGMT_ERR_EINVAL's number) in v1 and v2 alike instead of a group error.
  const [major, minor] = zephyrRelease(board);
  const sendsNoDowngrade =
    (major > 3 || (major === 3 && minor >= 7)) && board.mcuboot.downgradePrevention === true;
  server.register(bootloaderInfo, (request) => {
    if (request.query === undefined) return { bootloader: 'MCUboot' };
    if (request.query === 'mode') {
      const mode = MCUBOOT_MODE[board.mcuboot.mode];
      return sendsNoDowngrade ? { mode, 'no-downgrade': true } : { mode };
    }
    throw new MgmtError(
      OsErr.QUERY_YIELDS_NO_ANSWER as number as MgmtErr,
      `bootloader info has no answer for query "${request.query}"`,
    );
  });

  const rtc = options.rtc;
  if (rtc) registerDateTime(server, rtc);
}

/**
 * os_mgmt_info: each character of `format` must name a field (`a` all of them; `b`, the build
 * date, only exists with CONFIG_MCUMGR_GRP_OS_INFO_BUILD_DATE_TIME, off by default), else the
 * group error INVALID_FORMAT; no characters at all mean `s`. The fields go out in Zephyr's order,
 * space-separated, into a buffer of INFO_MAX_RESPONSE_SIZE bytes: output that does not fit is
 * MGMT_ERR_EMSGSIZE (each snprintf needs room for its terminating NUL).
 */
export function osInfoOutput(board: Board, format: string): string {
  const fields = infoFields(board);
  const known = new Set(['a', ...fields.map(([char]) => char)]);
  for (const char of format) {
    if (!known.has(char)) {
      throw new GroupError(
        SmpGroup.Os,
        OsErr.INVALID_FORMAT,
        `os info format character "${char}" is not supported`,
      );
    }
  }
  const wanted = format === '' ? 's' : format;
  const all = wanted.includes('a');
  const output = fields
    .filter(([char]) => all || wanted.includes(char))
    .map(([, value]) => value)
    .join(' ');
  if (new TextEncoder().encode(output).length >= INFO_MAX_RESPONSE_SIZE) {
    throw new MgmtError(
      MgmtErr.EMSGSIZE,
      `os info output of ${output.length} characters does not fit its ${INFO_MAX_RESPONSE_SIZE}-byte buffer`,
    );
  }
  return output;
}

/**
 * os_mgmt_datetime_read / _write over the board's RTC. CONFIG_MCUMGR_GRP_OS_DATETIME needs an RTC
 * driver and an `rtc` devicetree alias; upstream smp_svr leaves it off (default n), the virtual
 * device's build turns it on, without the millisecond field (CONFIG_MCUMGR_GRP_OS_DATETIME_MS,
 * default n). An unset RTC (-ENODATA) is RTC_NOT_SET; any other RTC failure RTC_COMMAND_FAILED.
 */
function registerDateTime(server: SmpServer, rtc: VirtualRtc, withMs = false): void {
  server.register(
    dateTimeGet,
    () => {
      const now = rtc.get();
      if (!now.ok) throw new GroupError(SmpGroup.Os, OsErr.RTC_NOT_SET, 'the RTC has not been set');
      return { datetime: formatDateTime(now.time, withMs) };
    },
    { readsRequest: false },
  );
  server.register(dateTimeSet, (request) => {
    let time: ReturnType<typeof parseDateTime>;
    try {
      time = parseDateTime(request.datetime, withMs);
    } catch (error) {
      if (error instanceof DateTimeFormatError) throw new MgmtError(MgmtErr.EINVAL, error.message);
      throw error;
    }
    if (!rtc.set(time)) {
      throw new GroupError(
        SmpGroup.Os,
        OsErr.RTC_COMMAND_FAILED,
        `the RTC refused ${request.datetime}: that day does not exist`,
      );
    }
    return {};
  });
}
