import type { Board } from './board.ts';

// STM32F407VG: 1 MiB in 4×16K, 1×64K, 7×128K sectors (RM0090). Zephyr's board has no flash
// partitions, so this is the usual overlay: MCUboot in the small sectors, two 3×128K slots and a
// 128K scratch (swap using scratch, the only realistic swap mode with 128K sectors).
export const stm32f4_disco: Board = {
  name: 'stm32f4_disco',
  description: 'ST STM32F4DISCOVERY (STM32F407VG, 1 MiB flash), MCUboot swap using scratch',
  flash: {
    base: 0x0800_0000,
    sectors: [
      { count: 4, size: 0x4000 },
      { count: 1, size: 0x10000 },
      { count: 7, size: 0x20000 },
    ],
    eraseValue: 0xff,
    writeBlockSize: 1,
    // Datasheet typical values at x32 parallelism: 16K 250 ms, 64K 550 ms, 128K 1 s; 16 µs per word.
    timing: {
      eraseMsBySectorSize: { 16384: 250, 65536: 550, 131072: 1000 },
      programUsPerByte: 4,
      readUsPerByte: 0.01,
    },
  },
  partitions: {
    mcuboot: { label: 'boot_partition', offset: 0x0, size: 0x20000 },
    slot0: { label: 'slot0_partition', offset: 0x20000, size: 0x60000 },
    slot1: { label: 'slot1_partition', offset: 0x80000, size: 0x60000 },
    scratch: { label: 'scratch_partition', offset: 0xe0000, size: 0x20000 },
  },
  mcuboot: {
    mode: 'swap-scratch',
    maxAlign: 8,
    maxImgSectors: 128,
    signature: 'rsa-2048',
    validatePrimarySlot: true,
    headerSize: 0x200,
  },
  smp: { uartMtu: 256, rxLineBufferSize: 128, rxLineBufferCount: 2 },
  // Upstream Zephyr's fatal-error policy: halt.
  app: { resetOnFatalError: false },
  versions: { zephyr: 'v3.7.0', mcuboot: 'v2.1.0' },
  cpu: { arch: 'arm', processor: 'cortex-m4' },
  bootBanner: ['*** Booting MCUboot v2.1.0 ***', '*** Using Zephyr OS build v3.7.0 ***'],
};
