// A board is data: flash geometry, partitions, MCUboot build configuration and buffer sizes.
import type { FlashTiming } from '../flash.ts';

export interface SectorRun {
  count: number;
  size: number;
}

export interface Partition {
  /** Devicetree label, e.g. "slot0_partition". */
  label: string;
  /** Offset from the start of the flash device. */
  offset: number;
  size: number;
}

export type McubootMode = 'swap-scratch' | 'overwrite-only';
export type SignatureType = 'rsa-2048' | 'rsa-3072' | 'ecdsa-p256' | 'ed25519' | 'none';

export interface McubootConfig {
  mode: McubootMode;
  /** BOOT_MAX_ALIGN. */
  maxAlign: number;
  /** CONFIG_BOOT_MAX_IMG_SECTORS. */
  maxImgSectors: number;
  /** CONFIG_BOOT_SIGNATURE_TYPE_*; 'none' = hash-only images. */
  signature: SignatureType;
  /** CONFIG_BOOT_VALIDATE_SLOT0. */
  validatePrimarySlot: boolean;
  /** CONFIG_ROM_START_OFFSET = imgtool --header-size. */
  headerSize: number;
}

export interface SmpBufferConfig {
  /**
   * CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE: one request or response, header + CBOR. Left out: the
   * Kconfig default of the build (subsys/mgmt/mcumgr/transport/Kconfig, v3.5.0): 2048 when the
   * build has the UDP transport (smpServer.udpTransport), 384 otherwise.
   */
  netbufSize?: number;
  /** CONFIG_MCUMGR_TRANSPORT_NETBUF_COUNT. Left out: 2 with the UDP transport, 4 otherwise. */
  netbufCount?: number;
  /** CONFIG_UART_MCUMGR_MTU. */
  uartMtu: number;
  /** CONFIG_UART_MCUMGR_RX_BUF_SIZE. */
  rxLineBufferSize: number;
  /** CONFIG_UART_MCUMGR_RX_BUF_COUNT. */
  rxLineBufferCount: number;
}

/**
 * How the app's MCUmgr SMP server is built (Kconfig), where that changes its answers. Every field
 * may be left out: the default is what Zephyr v3.5.0's smp_svr sample builds (its prj.conf and the
 * options' Kconfig defaults); src/device/server/build-config.ts resolves them.
 */
export interface SmpServerBuildOptions {
  /** CONFIG_MCUMGR_SMP_VERBOSE_ERR_RESPONSE: `rsn` text in v1 error responses (default n). */
  verboseErrors?: boolean;
  /** CONFIG_IMG_ENABLE_IMAGE_CHECK: `match` on the last chunk, skip re-uploading the same file (n). */
  imageCheck?: boolean;
  /** CONFIG_MCUMGR_GRP_IMG_ALLOW_ERASE_PENDING: erase / upload over a pending slot 1 (n). */
  allowErasePending?: boolean;
  /** CONFIG_MCUMGR_TRANSPORT_UDP is in the build: the netbuf defaults become 2048/2 (n). */
  udpTransport?: boolean;
  /**
   * CONFIG_MCUMGR_GRP_OS_TASKSTAT (y in smp_svr), false to leave it out; with it, how threads are
   * named (_USE_THREAD_NAME_FOR_NAME needs CONFIG_THREAD_NAME, else the priority) and whether
   * stack sizes (_STACK_INFO, n) and the unsupported zero fields (!_ONLY_SUPPORTED_STATS, y) go out.
   */
  taskstat?:
    | false
    | {
        readonly names?: 'name' | 'prio' | 'idx';
        readonly stackInfo?: boolean;
        readonly onlySupportedStats?: boolean;
      };
}

/** How the application on the board is built, where that changes what the board does. */
export interface AppConfig {
  /**
   * CONFIG_RESET_ON_FATAL_ERROR: on a fatal error the system reboots (sys_arch_reboot), so MCUboot
   * runs again and reverts an unconfirmed test image. The symbol comes from the nRF Connect SDK's
   * lib/fatal_error (or an app's own k_sys_fatal_error_handler); upstream Zephyr has no such option:
   * its weak k_sys_fatal_error_handler (kernel/fatal.c) logs "Halting system" and calls
   * arch_system_halt, which locks interrupts and spins, so nothing runs (the SMP server included)
   * until someone resets the board. false = that upstream default.
   */
  resetOnFatalError: boolean;
}

export interface Board {
  name: string;
  description: string;
  flash: {
    /** Address the flash is mapped at (chainload addresses are offsets from here). */
    base: number;
    sectors: readonly SectorRun[];
    eraseValue: number;
    /** Devicetree write-block-size: imgtool --align. */
    writeBlockSize: number;
    timing: FlashTiming;
  };
  partitions: {
    mcuboot: Partition;
    slot0: Partition;
    slot1: Partition;
    scratch?: Partition;
  };
  mcuboot: McubootConfig;
  smp: SmpBufferConfig;
  /** SMP server build options; see SmpServerBuildOptions (all default to v3.5.0's smp_svr). */
  smpServer?: SmpServerBuildOptions;
  app: AppConfig;
  versions: { zephyr: string; mcuboot: string };
  /** CONFIG_ARCH and the processor name, as `os info` reports them (format chars m and p). */
  cpu: { arch: string; processor: string };
  /**
   * Bluetooth LE, when the board has a radio (`zdfu sim --ble`): how long after the app starts it
   * advertises again (bt_enable, settings load, advertising start), the SMP service's ATT MTU.
   */
  ble?: { readonly advertiseAfterBootMs: number; readonly maxAttMtu: number };
  /** Lines printed before MCUboot's own log, as that Zephyr/MCUboot combination does. */
  bootBanner: readonly string[];
}

/** Expand sector runs to one size per sector. */
export function sectorSizes(board: Board): number[] {
  const out: number[] = [];
  for (const run of board.flash.sectors) for (let i = 0; i < run.count; i++) out.push(run.size);
  return out;
}
