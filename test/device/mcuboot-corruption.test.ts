// A corrupt flash boots the way MCUboot would boot it, or stops the way the board stops (its own
// error lines, then no app): the model never throws, whatever single byte is wrong.
import { describe, expect, it } from 'vitest';
import {
  deviceOf,
  deviceSize,
  findPartition,
  type Partition,
  slotPartition,
} from '../../src/device/boards/board.ts';
import { DEV_RSA_2048_PUBLIC_PEM } from '../../src/device/boards/bootloader-keys.ts';
import { esp32_devkitc_wroom } from '../../src/device/boards/esp32_devkitc_wroom.ts';
import { stm32f4_disco } from '../../src/device/boards/stm32f4_disco.ts';
import { VirtualDevice } from '../../src/device/device.ts';
import { type Flash, PowerCut } from '../../src/device/flash.ts';
import { type BootResult, bootGo, type ImageValidator } from '../../src/device/mcuboot/boot.ts';
import { loadPublicKey } from '../../src/image/keys.ts';
import { trailerLayout } from '../../src/image/trailer.ts';
import { validateForBoot } from '../../src/image/verify.ts';
import { seededRandom } from '../../src/util/seeded-random.ts';
import { blinkyFlash } from './sim/helpers.ts';

const board = stm32f4_disco;
const slot0 = slotPartition(board, 0);
const slot1 = slotPartition(board, 1);
const scratch = findPartition(board, 'scratch_partition') as Partition;

async function rsaValidator(): Promise<ImageValidator> {
  const keys = [await loadPublicKey(DEV_RSA_2048_PUBLIC_PEM)];
  const { trailerStart } = trailerLayout({
    slotSize: slot0.size,
    maxAlign: board.mcuboot.maxAlign,
    writeSize: deviceOf(board, slot0).writeBlockSize,
    maxSectors: board.mcuboot.maxImgSectors,
  });
  return async (_slot, bytes) => {
    const verdict = await validateForBoot(bytes, { keys, maxImageSize: trailerStart });
    return { ok: verdict.ok, reason: verdict.message };
  };
}

/** Deterministic PRNG (mulberry32) so a failure names a reproducible case. */
const rng = seededRandom;

/** Where a single wrong byte matters most: trailers (swap status), headers, and anywhere. */
function pickOffset(next: () => number): number {
  const r = next();
  const pick = (base: number, len: number) => base + Math.floor(next() * len);
  const areas = [slot0, slot1, scratch!];
  const area = areas[Math.floor(next() * areas.length)]!;
  // The status entries and trailer fields sit in the last 0x200 bytes of each area.
  if (r < 0.5) return pick(area.offset + area.size - 0x200, 0x200);
  if (r < 0.75) return pick(area.offset, 0x40);
  return pick(0, deviceSize(deviceOf(board, slot0)));
}

async function bootOnce(flash: Flash, validate: ImageValidator): Promise<BootResult> {
  return bootGo({ flash, board, validate });
}

type StateMaker = (validate: ImageValidator) => Promise<Flash>;

const STATES: Record<string, StateMaker> = {
  fresh: async () => blinkyFlash(false),
  'after upload + test': async () => blinkyFlash(true),
  'after the test boot (revert pending)': async (validate) => {
    const flash = blinkyFlash(true);
    await bootOnce(flash, validate);
    return flash;
  },
  'mid-swap': async (validate) => {
    const flash = blinkyFlash(true);
    flash.cutPowerBefore(60);
    await expect(bootOnce(flash, validate)).rejects.toThrow(PowerCut);
    flash.powerOn();
    return flash;
  },
  'mid-swap, late': async (validate) => {
    const flash = blinkyFlash(true);
    flash.cutPowerBefore(160);
    await expect(bootOnce(flash, validate)).rejects.toThrow(PowerCut);
    flash.powerOn();
    return flash;
  },
  'mid-swap, early': async (validate) => {
    const flash = blinkyFlash(true);
    flash.cutPowerBefore(3);
    await expect(bootOnce(flash, validate)).rejects.toThrow(PowerCut);
    flash.powerOn();
    return flash;
  },
};

describe('MCUboot model on a corrupt flash', () => {
  it('one byte in slot 0 swap status of a fresh flash (0x7FF89): stops as MCUboot does, no throw', async () => {
    const validate = await rsaValidator();
    const flash = blinkyFlash(false);
    flash.load(Uint8Array.of(0x00), 0x7ff89);
    const result = await bootOnce(flash, validate);
    // The status area says a swap is under way; boot_find_status falls back to the primary
    // slot, whose erased swap_size makes the sector search run off the end: the board hangs.
    expect(result.booted).toBe(false);
    expect(result.log).toContain('I: Boot source: primary slot');
    expect(result.reason).toMatch(/MCUboot stopped/);
    expect(result.log.at(-1)).not.toContain('Jumping');
  });

  it('a status entry the swap still has to write is not erased: counted, swap finished, image validated', async () => {
    const validate = await rsaValidator();
    const flash = blinkyFlash(true);
    flash.cutPowerBefore(160);
    await expect(bootOnce(flash, validate)).rejects.toThrow(PowerCut);
    flash.powerOn();
    // A later status entry in slot 0 reads as written: the flash refuses to write it again.
    flash.load(Uint8Array.of(0), 0x7fe52);
    const result = await bootOnce(flash, validate);
    // swap_read_status_bytes, then BOOT_STATUS_ASSERT with MCUBOOT_VALIDATE_PRIMARY_SLOT.
    expect(result.log).toContain('E: Detected inconsistent status!');
    expect(result.log).toContain('W: 1 status write fails performing the swap');
    expect(result.resumed).toBe(true);
    expect(result.booted).toBe(true);
    expect(result.version?.major).toBe(2);
  });

  it('copy_done cannot be written at the end of a swap: "panic!", then the board hangs', async () => {
    const validate = await rsaValidator();
    const flash = blinkyFlash(true);
    flash.cutPowerBefore(5);
    await expect(bootOnce(flash, validate)).rejects.toThrow(PowerCut);
    flash.powerOn();
    // A byte in the scratch status area: the first resume miscounts, the second one finds
    // copy_done already programmed when swap_set_copy_done writes it.
    flash.load(Uint8Array.of(0), 0xdffcd);
    await bootOnce(flash, validate);
    const result = await bootOnce(flash, validate);
    expect(result.booted).toBe(false);
    expect(result.log.at(-1)).toBe('E: panic!');
    expect(result.reason).toMatch(/MCUboot stopped: updating the primary slot's trailer failed/);
  });

  it('random single-byte corruptions never make the model throw (seeded sweep)', async () => {
    const validate = await rsaValidator();
    const next = rng(0x5eed);
    const outcomes = { booted: 0, halted: 0 };
    for (const [name, make] of Object.entries(STATES)) {
      const base = (await make(validate)).snapshot();
      for (let i = 0; i < 60; i++) {
        const flash = blinkyFlash(false);
        flash.restore(base);
        const offset = pickOffset(next);
        const old = flash.read(offset, 1)[0]!;
        const value = (old + 1 + Math.floor(next() * 255)) & 0xff;
        flash.load(Uint8Array.of(value), offset);
        const label = `${name}: byte 0x${offset.toString(16)} 0x${old.toString(16)} -> 0x${value.toString(16)}`;
        let result: BootResult | undefined;
        let error: unknown;
        try {
          result = await bootOnce(flash, validate);
          // The next power-on must not throw either (a resumed or repeated stop).
          await bootOnce(flash, validate);
        } catch (e) {
          error = e;
        }
        expect(error === undefined ? 'no throw' : `${label}: ${String(error)}`).toBe('no throw');
        if (result?.booted) outcomes.booted++;
        else outcomes.halted++;
      }
    }
    // Both outcomes occur: the sweep reaches the failure paths, not only harmless bytes.
    expect(outcomes.booted).toBeGreaterThan(0);
    expect(outcomes.halted).toBeGreaterThan(0);
  }, 60_000);

  it('overwrite-only (esp32_devkitc_wroom): random single-byte corruptions never make the model throw', async () => {
    const esp = esp32_devkitc_wroom;
    const validate: ImageValidator = async (_slot, bytes) => {
      const verdict = await validateForBoot(bytes, { keys: [] });
      return { ok: verdict.ok, reason: verdict.message };
    };
    const next = rng(0xe5932);
    const areas = [slotPartition(esp, 0), slotPartition(esp, 1)];
    for (const pending of [false, true]) {
      const base = blinkyFlash(pending, esp).snapshot();
      for (let i = 0; i < 30; i++) {
        const flash = blinkyFlash(false, esp);
        flash.restore(base);
        const area = areas[Math.floor(next() * areas.length)]!;
        const r = next();
        const offset =
          r < 0.4
            ? area.offset + area.size - 0x40 + Math.floor(next() * 0x40)
            : r < 0.7
              ? area.offset + Math.floor(next() * 0x40)
              : area.offset + Math.floor(next() * area.size);
        flash.load(Uint8Array.of(next() * 256), offset);
        await expect(
          bootGo({ flash, board: esp, validate }),
          `byte 0x${offset.toString(16)}`,
        ).resolves.toBeDefined();
      }
    }
  });

  it('the virtual device ends running or halted, never throws, on corrupt flashes', async () => {
    const keys = [await loadPublicKey(DEV_RSA_2048_PUBLIC_PEM)];
    const validate = await rsaValidator();
    const next = rng(0xc0ffee);
    for (const [name, make] of Object.entries(STATES)) {
      const base = (await make(validate)).snapshot();
      for (let i = 0; i < 4; i++) {
        const flash = blinkyFlash(false);
        flash.restore(base);
        const offset = i === 0 ? 0x7ff89 : pickOffset(next);
        flash.load(Uint8Array.of((flash.read(offset, 1)[0]! ^ 0x5a) & 0xff), offset);
        const device = new VirtualDevice({ board, flash, bootloaderKeys: keys, baud: 0 });
        try {
          await device.powerOn();
          expect([
            `${name}@${offset.toString(16)}: running`,
            `${name}@${offset.toString(16)}: halted`,
          ]).toContain(`${name}@${offset.toString(16)}: ${device.state}`);
        } finally {
          await device.powerOff();
        }
      }
    }
  }, 60_000);
});
