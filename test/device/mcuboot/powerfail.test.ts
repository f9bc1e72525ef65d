// Power-fail sweeps for the swap strategies, in the style of MCUboot's simulator
// (revert_with_fails) and test/device/mcuboot-powerfail.test.ts: cut the power before every flash
// mutation i = 1..N−1 of an upgrade (counted across all flash devices of the layout), boot again
// uninterrupted, and require the end state of an uninterrupted upgrade.
import { describe, expect, it } from 'vitest';
import type { McubootMode } from '../../../src/device/boards/board.ts';
import { type Flash, type FlashSnapshot, PowerCut } from '../../../src/device/flash.ts';
import { bootGo } from '../../../src/device/mcuboot/boot.ts';
import { readSwapState } from '../../../src/device/mcuboot/public.ts';
import { writeImageOk } from '../../../src/device/mcuboot/trailer-io.ts';
import { BootFlag, BootMagic, bootMagic, SwapType } from '../../../src/image/trailer.ts';
import {
  hashOnly,
  makeSigned,
  pending,
  program,
  type Rig,
  rig,
  startsWith,
  upload,
  uploadOffset,
} from './fixtures.ts';

function devices(r: Rig): Flash[] {
  return r.external ? [r.flash, r.external] : [r.flash];
}

function snapshot(r: Rig): FlashSnapshot[] {
  return devices(r).map((f) => f.snapshot());
}

function restore(r: Rig, snaps: FlashSnapshot[]): void {
  devices(r).forEach((f, i) => {
    f.restore(snaps[i]!);
    f.powerOn();
  });
}

interface Expected {
  primary: Uint8Array;
  secondary: Uint8Array;
  /** Where the secondary image starts (one sector in for swap-using-offset's update). */
  secondaryAt: number;
}

/**
 * What must match an uninterrupted upgrade, as MCUboot's simulator checks it: the images in both
 * slots and the primary's trailer flags. (Raw trailer bytes may differ: a revert cut right after
 * swap_move.c's fixup_revert finishes as the permanent upgrade it was made to look like, and
 * records swap_type PERM instead of REVERT.)
 */
function endState(r: Rig, want: Expected): string {
  const { primary, secondary } = r.image();
  const flags = readSwapState(primary);
  return JSON.stringify({
    primary: startsWith(primary, want.primary),
    secondary: startsWith(secondary, want.secondary, want.secondaryAt),
    magic: flags.magic,
    imageOk: flags.imageOk,
    copyDone: flags.copyDone,
  });
}

/**
 * From `start`, boot uninterrupted (N mutations, recording which device each hits), then for each
 * i < N cut the power before mutation i and boot again. Returns N; leaves the reference end state.
 */
async function sweep(r: Rig, start: FlashSnapshot[], expectSwap: SwapType, want: Expected): Promise<number> {
  restore(r, start);
  const order: { device: Flash; index: number }[] = [];
  const counts = new Map<Flash, number>();
  const stops = devices(r).map((device) =>
    device.onOperation((op) => {
      if (op.mutationNumber === undefined) return;
      const n = (counts.get(device) ?? 0) + 1;
      counts.set(device, n);
      order.push({ device, index: n });
    }),
  );
  const ref = await r.boot();
  for (const stop of stops) stop();
  expect(ref.booted).toBe(true);
  expect(ref.swapType).toBe(expectSwap);
  const expected = endState(r, want);
  expect(expected).toMatch(/"primary":true,"secondary":true/);
  const N = order.length;
  const end = snapshot(r);
  const failures: string[] = [];
  for (let i = 1; i < N; i++) {
    restore(r, start);
    const { device, index } = order[i - 1]!;
    device.cutPowerBefore(index);
    const cut = await r.boot().then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(cut instanceof PowerCut)) {
      failures.push(`cut before op ${i}: the boot did not stop (${String(cut)})`);
      continue;
    }
    for (const f of devices(r)) f.powerOn();
    const again = await r.boot();
    const got = endState(r, want);
    if (!again.booted || got !== expected) {
      failures.push(
        `cut before op ${i}: booted=${again.booted} swap=${again.swapType} resumed=${again.resumed} ${got}`,
      );
    }
  }
  expect(failures).toEqual([]);
  restore(r, end);
  return N;
}

interface Case {
  mode: McubootMode;
  external?: boolean;
  slots?: { primary: number; secondary: number };
  /** Body sizes; the second one reaching close to the trailer exercises the last sectors. */
  sizes: [number, number];
}

const CASES: Case[] = [
  { mode: 'swap-scratch', sizes: [9000, 14000] },
  { mode: 'swap-move', sizes: [9000, 14000] },
  { mode: 'swap-offset', sizes: [9000, 14000] },
  { mode: 'swap-move', sizes: [14000, 9000] },
  { mode: 'swap-offset', sizes: [14000, 9000] },
  { mode: 'swap-offset', external: true, sizes: [9000, 14000] },
  // Equal slots: allowed by swap_move.c's boot_slots_compatible ("non-optimal"), one usable sector fewer.
  { mode: 'swap-move', slots: { primary: 6, secondary: 6 }, sizes: [9000, 14000] },
  { mode: 'swap-offset', slots: { primary: 6, secondary: 6 }, sizes: [9000, 14000] },
  // Images up to the last sector before the trailer.
  { mode: 'swap-move', sizes: [14000, 19500] },
  { mode: 'swap-offset', sizes: [19500, 14000] },
];

describe.each(CASES)(
  'power-fail sweep: $mode, bodies $sizes, external $external, slots $slots',
  ({ mode, external, slots, sizes }) => {
    it('every interrupted test upgrade, then every interrupted revert, ends as if uninterrupted', async () => {
      const r = rig(mode, { sectors: 6, external: external ?? false, ...(slots ? { slots } : {}) });
      const one = await makeSigned(r, { version: '1.0.0', seed: 11, size: sizes[0] });
      const two = await makeSigned(r, { version: '2.0.0', seed: 22, size: sizes[1] });
      program(r.image().primary, one);
      upload(r, two);
      pending(r, false);
      const nTest = await sweep(r, snapshot(r), SwapType.TEST, {
        primary: two,
        secondary: one,
        secondaryAt: 0,
      });
      expect(nTest).toBeGreaterThan(10);
      expect(startsWith(r.image().primary, two)).toBe(true);
      expect(startsWith(r.image().secondary, one)).toBe(true);

      const nRevert = await sweep(r, snapshot(r), SwapType.REVERT, {
        primary: one,
        secondary: two,
        secondaryAt: uploadOffset(r),
      });
      expect(nRevert).toBeGreaterThan(10);
      expect(startsWith(r.image().primary, one)).toBe(true);
      expect(startsWith(r.image().secondary, two, uploadOffset(r))).toBe(true);
      expect(readSwapState(r.image().primary)).toMatchObject({
        imageOk: BootFlag.SET,
        copyDone: BootFlag.SET,
      });
      const third = await r.boot();
      expect(third.swapType).toBe(SwapType.NONE);
      expect(third.flashOps).toBe(0);
    });
  },
);

describe('MCUboot #1966: a torn magic written by swap-move fixup_revert', () => {
  /**
   * The state a power cut inside fixup_revert's boot_write_magic leaves (a torn write, which this
   * test writes by hand): primary magic good, copy_done set, image_ok unset (the unconfirmed
   * image); secondary image_ok set and a half-written, BAD, magic.
   */
  async function tornFixup() {
    const r = rig('swap-move', { sectors: 6 });
    const one = await makeSigned(r, { version: '1.0.0', seed: 11, size: 9000 });
    const two = await makeSigned(r, { version: '2.0.0', seed: 22, size: 14000 });
    program(r.image().primary, one);
    upload(r, two);
    pending(r, false);
    expect((await r.boot()).swapType).toBe(SwapType.TEST);
    const sec = r.image().secondary;
    writeImageOk(sec, 8);
    sec.write(sec.size - 16, bootMagic(8).subarray(0, 8));
    expect(readSwapState(sec).magic).toBe(BootMagic.BAD);
    return { r, one, two };
  }

  it('MCUboot v2.0.0 (the REVERT row wants the secondary magic UNSET) never reverts: the unconfirmed image runs on', async () => {
    const { r, two } = await tornFixup();
    for (let i = 0; i < 2; i++) {
      const b = await bootGo({
        layout: r.layout,
        config: r.config,
        validate: hashOnly,
        mcubootVersion: 'v2.0.0',
      });
      expect(b.swapType).toBe(SwapType.NONE);
      expect(b.log).toContain('I: Image index: 0, Swap type: none');
      expect(startsWith(r.image().primary, two)).toBe(true);
    }
  });

  it('MCUboot ≥ v2.2.0 (PR #2100) reverts whatever the secondary magic', async () => {
    const { r, one } = await tornFixup();
    const b = await r.boot();
    expect(b.swapType).toBe(SwapType.REVERT);
    expect(startsWith(r.image().primary, one)).toBe(true);
  });
});

describe('power-fail sweep: overwrite-only', () => {
  it('an interrupted copy starts again at the next boot and ends with the new image', async () => {
    const r = rig('overwrite-only', { sectors: 6 });
    const one = await makeSigned(r, { version: '1.0.0', seed: 11, size: 9000 });
    const two = await makeSigned(r, { version: '2.0.0', seed: 22, size: 14000 });
    program(r.image().primary, one);
    upload(r, two);
    pending(r, false);
    const start = snapshot(r);
    const ref = await r.boot();
    expect(ref.swapType).toBe(SwapType.TEST);
    const failures: string[] = [];
    for (let i = 1; i < ref.flashOps; i++) {
      restore(r, start);
      r.flash.cutPowerBefore(i);
      await expect(r.boot()).rejects.toBeInstanceOf(PowerCut);
      r.flash.powerOn();
      const again = await r.boot();
      if (!again.booted || !startsWith(r.image().primary, two)) {
        failures.push(`cut before op ${i}: booted=${again.booted} swap=${again.swapType}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
