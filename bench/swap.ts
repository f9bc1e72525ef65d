/**
 * Swap times per MCUboot strategy from the flash model's simulated clock (Flash.stats.timeUs), on
 * nRF5340-like geometry: 4 KiB pages, tERASEPAGE 87.5 ms, tWRITE 43 µs per word (nRF5340 product
 * specification, NVMC electrical specification), application slots of 0x74000 bytes as in
 * Zephyr's nrf5340_cpuapp partitions, plus the extra sector move/offset need. Published figures
 * for comparison: swap-using-move ≈ 18 s, swap-using-offset ≈ 13 s for a large nRF5340 image.
 */
import type { McubootConfig, McubootMode } from '../src/device/boards/board.ts';
import { Flash, FlashArea } from '../src/device/flash.ts';
import { bootGo } from '../src/device/mcuboot/boot.ts';
import type { BootLayout } from '../src/device/mcuboot/layout.ts';
import { setPending } from '../src/device/mcuboot/public.ts';
import { signImage } from '../src/image/sign.ts';
import type { BenchGrid, BenchOutput } from './table.ts';

const SECTOR = 0x1000;
const SLOT_SECTORS = 0x74000 / SECTOR;
const TIMING = { eraseMsBySectorSize: { [SECTOR]: 87.5 }, programUsPerByte: 43 / 4, readUsPerByte: 0.01 };
const MODES: McubootMode[] = ['swap-move', 'swap-offset', 'swap-scratch', 'overwrite-only'];
const IMAGE_KIB = [192, 400];

export interface SwapTiming {
  mode: McubootMode;
  imageBytes: number;
  /** Simulated seconds of the boot that performs the test swap, and of the revert boot. */
  swapS: number;
  revertS: number | undefined;
  erases: number;
  writes: number;
}

/** One test swap (and its revert, where the strategy has one) of an image of `kib` KiB. */
export async function measureSwap(mode: McubootMode, kib: number): Promise<SwapTiming> {
  const p = mode === 'swap-move' ? SLOT_SECTORS + 1 : SLOT_SECTORS;
  const s = mode === 'swap-offset' ? SLOT_SECTORS + 1 : SLOT_SECTORS;
  // Scratch: the nRF5340's usual 0x8000 (8 pages) when it is used at all.
  const scratch = mode === 'swap-scratch' ? 8 : 0;
  const flash = new Flash({
    name: 'nrf5340',
    sectors: new Array(p + s + scratch).fill(SECTOR),
    writeAlign: 4,
    timing: TIMING,
  });
  const primary = new FlashArea(flash, { label: 'slot0_partition', offset: 0, size: p * SECTOR });
  const secondary = new FlashArea(flash, { label: 'slot1_partition', offset: p * SECTOR, size: s * SECTOR });
  const layout: BootLayout = { images: [{ primary, secondary }], mappedAt: new Map([[flash, 0]]) };
  if (scratch) {
    layout.images[0]!.scratch = new FlashArea(flash, {
      label: 'scratch_partition',
      offset: (p + s) * SECTOR,
      size: scratch * SECTOR,
    });
  }
  const config: McubootConfig = {
    mode,
    maxAlign: 8,
    maxImgSectors: 256,
    signature: 'none',
    validatePrimarySlot: false,
    headerSize: 0x200,
    imageNumber: 1,
    log: { port: 'zephyr' },
  };
  const sign = (version: string, seed: number) => {
    const body = new Uint8Array(kib * 1024 - 0x200 - 64);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + seed) & 0xff;
    return signImage(body, {
      headerSize: 0x200,
      padHeader: true,
      slotSize: SLOT_SECTORS * SECTOR,
      version,
      align: 4,
    });
  };
  flash.load(await sign('1.0.0', 1), primary.offset);
  const two = await sign('2.0.0', 2);
  flash.load(two, secondary.offset + (mode === 'swap-offset' ? SECTOR : 0));
  setPending(secondary, false);
  const boot = () => bootGo({ layout, config, validate: async () => ({ ok: true }) });
  const before = flash.stats;
  const first = await boot();
  const after = flash.stats;
  const second = mode === 'overwrite-only' ? undefined : await boot();
  return {
    mode,
    imageBytes: two.length,
    swapS: first.flashTimeUs / 1e6,
    revertS: second ? second.flashTimeUs / 1e6 : undefined,
    erases: after.erases - before.erases,
    writes: after.writes - before.writes,
  };
}

export async function runSwapBench(): Promise<BenchOutput[]> {
  const rows: string[][] = [];
  for (const kib of IMAGE_KIB) {
    for (const mode of MODES) {
      const t = await measureSwap(mode, kib);
      rows.push([
        mode,
        `${kib} KiB`,
        t.swapS.toFixed(1),
        t.revertS === undefined ? '—' : t.revertS.toFixed(1),
        String(t.erases),
        String(t.writes),
      ]);
    }
  }
  const grid: BenchGrid = {
    kind: 'grid',
    title: 'MCUboot swap time per strategy (simulated nRF5340 flash)',
    method:
      'Simulated flash time of the boot that swaps in a test image, and of the reverting boot (4 KiB pages, 87.5 ms page erase, 43 µs per word; published: move ≈ 18 s, offset ≈ 13 s for a large image).',
    headers: ['strategy', 'image', 'swap s', 'revert s', 'page erases', 'writes'],
    rows,
  };
  return [grid];
}
