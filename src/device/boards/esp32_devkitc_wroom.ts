import type { Board } from './board.ts';

// ESP32-DevKitC-WROOM, Zephyr 3.5 era with the Zephyr-port MCUboot (v2.0.0): the board conf sets
// CONFIG_BOOT_UPGRADE_ONLY (overwrite-only), hash-only images and no slot-0 validation, even though
// the devicetree also declares a scratch partition. That is why `image test` + reset leaves a
// single image: the secondary is copied over the primary, then its header and trailer are erased.
export const esp32_devkitc_wroom: Board = {
  name: 'esp32_devkitc_wroom',
  description: 'Espressif ESP32-DevKitC-WROOM (4 MiB SPI flash), Zephyr 3.5 MCUboot overwrite-only',
  flash: {
    base: 0x0,
    sectors: [{ count: 1024, size: 0x1000 }],
    eraseValue: 0xff,
    writeBlockSize: 4,
    // Typical SPI NOR: 4K sector erase ~45 ms, 256-byte page program ~0.7 ms.
    timing: { eraseMsBySectorSize: { 4096: 45 }, programUsPerByte: 2.7, readUsPerByte: 0.1 },
  },
  partitions: {
    mcuboot: { label: 'boot_partition', offset: 0x0, size: 0x10000 },
    slot0: { label: 'slot0_partition', offset: 0x10000, size: 0x100000 },
    slot1: { label: 'slot1_partition', offset: 0x110000, size: 0x100000 },
    scratch: { label: 'scratch_partition', offset: 0x210000, size: 0x40000 },
  },
  mcuboot: {
    mode: 'overwrite-only',
    maxAlign: 8,
    maxImgSectors: 512,
    signature: 'none',
    validatePrimarySlot: false,
    headerSize: 0x20,
  },
  smp: { uartMtu: 256, rxLineBufferSize: 128, rxLineBufferCount: 2 },
  // Upstream Zephyr's fatal-error policy: halt.
  app: { resetOnFatalError: false },
  versions: { zephyr: 'zephyr-v3.5.0', mcuboot: 'v2.0.0' },
  cpu: { arch: 'xtensa', processor: 'esp32' },
  // The ESP32's controller comes up with the app. ATT MTU 498: the common Zephyr setting for fast
  // SMP (smp_svr's own overlay-bt.conf uses BT_L2CAP_TX_MTU=252); `zdfu sim --ble-mtu` changes it.
  ble: { advertiseAfterBootMs: 400, maxAttMtu: 498 },
  bootBanner: ['*** Booting Zephyr OS build zephyr-v3.5.0 ***'],
};
