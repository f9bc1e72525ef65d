/**
 * A board is data (one YAML file per board under ./data, or the user's own file): its flash
 * devices with their geometry and datasheet timing, the fixed partitions of its devicetree (each
 * on a named flash device), MCUboot's build configuration, the SMP server's buffers, the
 * devicetree nodes the firmware reaches (LEDs, console) and the boot banners. This file holds the
 * types; ./schema.ts checks a file against them and ./load.ts reads one.
 */

/** `count` sectors of `size` bytes in a row, each erased in `eraseMs` (the chip's datasheet). */
export interface SectorRun {
  readonly count: number;
  readonly size: number;
  readonly eraseMs: number;
}

export type FlashKind = 'internal' | 'spi-nor' | 'qspi-nor';

/** One flash device: the SoC's own flash or an external NOR chip (devicetree node label as id). */
export interface FlashDevice {
  /** Devicetree node label: flash0, mx25r64, ... Partitions name their device by it. */
  readonly id: string;
  readonly kind: FlashKind;
  /** Address the device is mapped at (chainload addresses are offsets from here); 0 if not mapped. */
  readonly base: number;
  /** Sector map, lowest address first. */
  readonly sectors: readonly SectorRun[];
  /** Devicetree write-block-size: imgtool --align. */
  readonly writeBlockSize: number;
  /** Devicetree erase-value (0xff on NOR flash). */
  readonly eraseValue: number;
  /** Page program time per byte, microseconds (datasheet). */
  readonly programUsPerByte: number;
  /** Read time per byte, microseconds (memory-mapped flash is fast but not free). */
  readonly readUsPerByte: number;
  /** Where the geometry and timing come from (datasheet, section). */
  readonly datasheet: string;
}

export interface Partition {
  /** Devicetree label, e.g. "slot0_partition". */
  readonly label: string;
  /** The flash device (FlashDevice.id) the partition lies on. */
  readonly device: string;
  /** Offset from the start of that flash device. */
  readonly offset: number;
  readonly size: number;
}

/**
 * MCUboot's upgrade strategy (boot/zephyr/Kconfig's "choice BOOT_IMAGE_UPGRADE_MODE"), in the
 * order of bootutil's enum mcuboot_mode (boot/bootutil/include/bootutil/boot_status.h).
 */
export type McubootMode =
  | 'swap-scratch'
  | 'overwrite-only'
  | 'swap-move'
  | 'direct-xip'
  | 'direct-xip-revert'
  | 'ram-load'
  | 'swap-offset';
export type SignatureType = 'rsa-2048' | 'rsa-3072' | 'ecdsa-p256' | 'ed25519' | 'none';

/**
 * Which MCUboot port prints the boot log: the Zephyr port (boot/zephyr, "I: ..." with minimal
 * logging) or Espressif's port (boot/espressif, "[esp32] [INF] ..." from its mcuboot_logging.h).
 */
export type McubootLogStyle =
  | { readonly port: 'zephyr' }
  | { readonly port: 'espressif'; readonly target: string };

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
  /**
   * CONFIG_UPDATEABLE_IMAGE_NUMBER: image i lives in slot(2i)_partition (primary) and
   * slot(2i+1)_partition (secondary), as boot/zephyr/include/sysflash/sysflash.h maps them.
   */
  imageNumber: number;
  log: McubootLogStyle;
  /** CONFIG_MCUBOOT_DOWNGRADE_PREVENTION: refuse a lower version in the secondary slot (absent = off). */
  downgradePrevention?: boolean;
  /** RAM-load only: the executable RAM region images are copied to (IMAGE_EXECUTABLE_RAM_START/SIZE). */
  executableRam?: { start: number; size: number };
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
  /**
   * CONFIG_MCUMGR_GRP_IMG_ALLOW_CONFIRM_NON_ACTIVE_IMAGE_SECONDARY / _ANY (multi-image): may a
   * client confirm the secondary slot / any slot of an image other than the running one (y / n).
   */
  allowConfirmNonActiveImageSecondary?: boolean;
  allowConfirmNonActiveImageAny?: boolean;
  /** CONFIG_MCUMGR_TRANSPORT_UDP is in the build: the netbuf defaults become 2048/2 (n). */
  udpTransport?: boolean;
  /**
   * smp_svr's Bluetooth overlay (overlay-bt.conf) is in the build: CONFIG_MCUMGR_TRANSPORT_BT with
   * its reassembly, and NETBUF_SIZE 2475 (one request in five writes at ATT MTU 498) (n).
   */
  bleTransport?: boolean;
  /**
   * The shell and its SMP group (CONFIG_SHELL with the dummy backend, CONFIG_MCUMGR_GRP_SHELL), as
   * smp_svr's shell overlay adds them: `shell exec` runs the image's shell commands (y here;
   * false for a build without them, which answers group 9 with MGMT_ERR_ENOTSUP).
   */
  shell?: boolean;
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

/** One GPIO line as the devicetree describes it (`gpios = <&gpiod 12 GPIO_ACTIVE_HIGH>`). */
export interface DtGpioSpec {
  readonly port: string;
  readonly pin: number;
  /** dt-bindings flags: GPIO_ACTIVE_LOW = 1. */
  readonly flags: number;
  /** The node's label property ("User LD4"), for people. */
  readonly label?: string;
}

/** The parts of the board's devicetree the firmware and the sim use. */
export interface BoardDevicetree {
  /** The upstream .dts file these come from. */
  readonly source: string;
  /** chosen { zephyr,console }: the UART the console, MCUboot's log and SMP share. */
  readonly console: string;
  /** aliases with a `gpios` property: led0, sw0, ... */
  readonly aliases: Readonly<Record<string, DtGpioSpec>>;
  /**
   * The app's own overlay (boards/<board>.overlay), when the upstream board lacks a node a sample
   * needs; it adds to or replaces the board's aliases. `why` says what it is for.
   */
  readonly appOverlay?: { readonly why: string; readonly aliases: Readonly<Record<string, DtGpioSpec>> };
}

export interface Board {
  readonly name: string;
  readonly description: string;
  /** Flash devices; the first one holds MCUboot. */
  readonly flashDevices: readonly FlashDevice[];
  /** Fixed partitions (boot_partition, slotN_partition, scratch_partition, storage_partition...). */
  readonly partitions: readonly Partition[];
  readonly mcuboot: McubootConfig;
  readonly smp: SmpBufferConfig;
  /** SMP server build options; see SmpServerBuildOptions (all default to v3.5.0's smp_svr). */
  readonly smpServer?: SmpServerBuildOptions;
  readonly app: AppConfig;
  /** Release names as the builds print them (`zephyr-v3.5.0`, `v2.0.0`). */
  readonly versions: { readonly zephyr: string; readonly mcuboot: string };
  /** CONFIG_ARCH and the processor name, as `os info` reports them (format chars m and p). */
  readonly cpu: { readonly arch: string; readonly processor: string };
  /**
   * Bluetooth LE, when the board has a radio (`zdfu sim --ble`): how long after the app starts it
   * advertises again (bt_enable, settings load, advertising start), the SMP service's ATT MTU.
   */
  readonly ble?: { readonly advertiseAfterBootMs: number; readonly maxAttMtu: number };
  readonly devicetree: BoardDevicetree;
  /** Lines the bootloader prints before MCUboot's own log (kernel or MCUboot banner). */
  readonly bootBanner: readonly string[];
  /** The application's kernel banner (`*** Booting Zephyr OS build zephyr-v3.5.0 ***`). */
  readonly appBanner: string;
}

/** Expand sector runs to one size per sector. */
export function sectorSizes(device: FlashDevice): number[] {
  const out: number[] = [];
  for (const run of device.sectors) for (let i = 0; i < run.count; i++) out.push(run.size);
  return out;
}

/** Total size of a flash device in bytes. */
export function deviceSize(device: FlashDevice): number {
  return device.sectors.reduce((sum, run) => sum + run.count * run.size, 0);
}

/** The partition with this devicetree label, if the board has one. */
export function findPartition(board: Board, label: string): Partition | undefined {
  return board.partitions.find((p) => p.label === label);
}

/** The flash device with this id, if the board has one. */
export function findDevice(board: Board, id: string): FlashDevice | undefined {
  return board.flashDevices.find((d) => d.id === id);
}

/** Labels of image `index`'s slots, as boot/zephyr/include/sysflash/sysflash.h pairs them. */
export function imageSlotLabels(index: number): { primary: string; secondary: string } {
  return { primary: `slot${2 * index}_partition`, secondary: `slot${2 * index + 1}_partition` };
}

/**
 * Image `image`'s primary (slot 0) or secondary (slot 1) partition. Throws when the board has
 * none, which a checked board never lacks for its images.
 */
export function slotPartition(board: Board, slot: 0 | 1, image = 0): Partition {
  const labels = imageSlotLabels(image);
  const label = slot === 0 ? labels.primary : labels.secondary;
  const partition = findPartition(board, label);
  if (!partition) throw new RangeError(`${board.name} has no ${label}`);
  return partition;
}

/** The flash device a partition lies on. */
export function deviceOf(board: Board, partition: Partition): FlashDevice {
  const device = findDevice(board, partition.device);
  if (!device)
    throw new RangeError(`${board.name}: ${partition.label} is on unknown flash device ${partition.device}`);
  return device;
}
