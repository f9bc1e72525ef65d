/**
 * The SMP server's build configuration for a board: the board's `smpServer` options with the
 * defaults of Zephyr v3.5.0's smp_svr sample filled in (samples/subsys/mgmt/mcumgr/smp_svr/prj.conf
 * and the Kconfig defaults of the options it leaves alone).
 */
import type { Board } from '../boards/board.ts';

export type TaskstatNames = 'name' | 'prio' | 'idx';

export interface TaskstatBuild {
  /** MCUMGR_GRP_OS_TASKSTAT_USE_THREAD_{NAME,PRIO,IDX}_FOR_NAME. */
  readonly names: TaskstatNames;
  /** MCUMGR_GRP_OS_TASKSTAT_STACK_INFO: "stksiz" and "stkuse" (in 4-byte words). */
  readonly stackInfo: boolean;
  /** MCUMGR_GRP_OS_TASKSTAT_ONLY_SUPPORTED_STATS: leave out "runtime", "cswcnt", "*_checkin". */
  readonly onlySupportedStats: boolean;
}

export interface SmpServerBuild {
  readonly verboseErrors: boolean;
  readonly imageCheck: boolean;
  readonly allowErasePending: boolean;
  readonly allowConfirmNonActiveImageSecondary: boolean;
  readonly allowConfirmNonActiveImageAny: boolean;
  readonly udpTransport: boolean;
  readonly bleTransport: boolean;
  readonly taskstat: TaskstatBuild | false;
  /** The shell with its SMP group (shell_mgmt) is in the build. */
  readonly shell: boolean;
  /** CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE as built. */
  readonly netbufSize: number;
  /** CONFIG_MCUMGR_TRANSPORT_NETBUF_COUNT as built. */
  readonly netbufCount: number;
}

/**
 * subsys/mgmt/mcumgr/transport/Kconfig (v3.5.0): NETBUF_SIZE "default 2048 if
 * MCUMGR_TRANSPORT_UDP, default 384"; NETBUF_COUNT "default 2 if MCUMGR_TRANSPORT_UDP, default 4".
 * So a serial-only build answers MCUmgr params with 384/4 and a UDP build with 2048/2.
 */
export function kconfigNetbuf(udpTransport: boolean): { size: number; count: number } {
  return udpTransport ? { size: 2048, count: 2 } : { size: 384, count: 4 };
}

/**
 * smp_svr's Bluetooth overlay (samples/subsys/mgmt/mcumgr/smp_svr/overlay-bt.conf, Zephyr 3.x):
 * CONFIG_MCUMGR_TRANSPORT_BT_REASSEMBLY=y with CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE=2475, "one SMP
 * packet divided into five Bluetooth Write Commands" at ATT MTU 498; the count keeps its default.
 */
export const BT_OVERLAY_NETBUF_SIZE = 2475;

export function smpServerBuild(board: Board): SmpServerBuild {
  const options = board.smpServer ?? {};
  const udpTransport = options.udpTransport ?? false;
  const netbuf = kconfigNetbuf(udpTransport);
  const bleTransport = options.bleTransport ?? false;
  const taskstat = options.taskstat ?? {};
  return {
    // CONFIG_MCUMGR_SMP_VERBOSE_ERR_RESPONSE, CONFIG_IMG_ENABLE_IMAGE_CHECK and
    // CONFIG_MCUMGR_GRP_IMG_ALLOW_ERASE_PENDING: all default n, none set by smp_svr.
    verboseErrors: options.verboseErrors ?? false,
    imageCheck: options.imageCheck ?? false,
    allowErasePending: options.allowErasePending ?? false,
    // grp/img_mgmt/Kconfig (v3.5.0, where both were added): SECONDARY default y, ANY default n.
    allowConfirmNonActiveImageSecondary: options.allowConfirmNonActiveImageSecondary ?? true,
    allowConfirmNonActiveImageAny: options.allowConfirmNonActiveImageAny ?? false,
    udpTransport,
    bleTransport,
    // The virtual image carries the shell and shell_mgmt, as smp_svr built with its shell overlay.
    shell: options.shell ?? true,
    // smp_svr sets CONFIG_MCUMGR_GRP_OS_TASKSTAT=y; grp/os_mgmt/Kconfig: names from thread names
    // when CONFIG_THREAD_NAME is on (the virtual kernel names its threads), STACK_INFO has no
    // default (n), ONLY_SUPPORTED_STATS defaults to y.
    taskstat:
      taskstat === false
        ? false
        : {
            names: taskstat.names ?? 'name',
            stackInfo: taskstat.stackInfo ?? false,
            onlySupportedStats: taskstat.onlySupportedStats ?? true,
          },
    netbufSize: board.smp.netbufSize ?? (bleTransport ? BT_OVERLAY_NETBUF_SIZE : netbuf.size),
    netbufCount: board.smp.netbufCount ?? netbuf.count,
  };
}

/**
 * The board as built for the transports it is started with: a board that answers SMP on UDP is a
 * build with CONFIG_MCUMGR_TRANSPORT_UDP=y (its netbuf defaults become 2048/2), one that answers
 * on BLE has smp_svr's Bluetooth overlay (2475-byte buffers), unless its smpServer block says
 * otherwise. `zdfu sim --no-udp` is then the serial-only smp_svr (384/4).
 */
export function builtFor(board: Board, transports: { readonly udp: boolean; readonly ble?: boolean }): Board {
  const given = board.smpServer ?? {};
  const smpServer = {
    ...given,
    ...(transports.udp && given.udpTransport === undefined ? { udpTransport: true } : {}),
    ...(transports.ble && given.bleTransport === undefined ? { bleTransport: true } : {}),
  };
  return { ...board, smpServer };
}
