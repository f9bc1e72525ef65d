/** OS management group (0) of the virtual device's SMP server: echo, reset, params, info, bootloader. */

import type { Board, McubootMode } from '../../device/boards/board.ts';
import type { SmpServerBuild } from '../../device/server/build-config.ts';
import { GroupError } from '../../device/server/mgmt-error.ts';
import type { SmpServer } from '../../device/server/smp-server.ts';
import { defineCommand } from '../../smp/command.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { optional, text } from '../../smp/schema.ts';
import { OsErr } from './group.ts';
import { bootloaderInfo, echo, echoRead, mcumgrParams, osInfo, reset } from './models.ts';
import { encodeTasks, smpServerThreads, taskStatAsEncoded } from './taskstat.ts';

/**
 * Bootloader-info "mode" values (smp_group_0.rst): MCUboot's enum mcuboot_mode
 * (boot/bootutil/include/bootutil/boot_status.h).
 */
const MCUBOOT_MODE: Readonly<Record<McubootMode, number>> = {
  'swap-scratch': 1,
  'overwrite-only': 2,
  'swap-move': 3,
  'direct-xip': 4,
  'direct-xip-revert': 5,
  'ram-load': 6,
  'swap-offset': 9,
};

export interface OsGroupOptions {
  board: Board;
  /** The server's build (params, taskstat). */
  build: SmpServerBuild;
  /** Whether the app's main() still runs (its thread is listed by taskstat). Default true. */
  mainRunning?: () => boolean;
  /** Reboots the device; called CONFIG_MCUMGR_GRP_OS_RESET_MS after the reset response. */
  requestReset: () => void;
  resetDelayMs?: number;
}

/** Fields of os info in Zephyr's fixed output order, keyed by their format character. */
function infoFields(board: Board): ReadonlyArray<[string, string]> {
  const release = board.versions.zephyr;
  return [
    ['s', 'Zephyr'],
    ['n', 'unknown'],
    ['r', release],
    ['v', release.replace(/^v/, '')],
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
        tasks: encodeTasks(smpServerThreads(options.mainRunning?.() ?? true, build.udpTransport), taskstat),
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

  server.register(osInfo, (request) => {
    const format = request.format ?? 's';
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
    const all = format.includes('a');
    const output = fields
      .filter(([char]) => all || format.includes(char))
      .map(([, value]) => value)
      .join(' ');
    return { output };
  });

  server.register(bootloaderInfo, (request) => {
    if (request.query === undefined) return { bootloader: 'MCUboot' };
    if (request.query === 'mode') return { mode: MCUBOOT_MODE[board.mcuboot.mode] };
    throw new GroupError(
      SmpGroup.Os,
      OsErr.QUERY_YIELDS_NO_ANSWER,
      `bootloader info has no answer for query "${request.query}"`,
    );
  });
}
