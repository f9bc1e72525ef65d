// Power-fail sweeps in the style of MCUboot's simulator (revert_with_fails): cut the power before
// every flash operation i = 1..N−1 of an upgrade, then boot uninterrupted, and require the same
// end state as an uninterrupted upgrade.
import { describe, expect, it } from 'vitest';
import { type Board, slotPartition } from '../../src/device/boards/board.ts';
import { stm32f4_disco } from '../../src/device/boards/stm32f4_disco.ts';
import { type Flash, PowerCut } from '../../src/device/flash.ts';
import { bootGo } from '../../src/device/mcuboot/boot.ts';
import { readSwapState, setPending } from '../../src/device/mcuboot/public.ts';
import { SwapType } from '../../src/image/trailer.ts';
import { areasOf, hashValidator, makeFlash, makeImage, uploadImage } from './mcuboot-fixtures.ts';

/** A tiny swap-scratch board whose images reach the trailer sector, so the trailer is carried in scratch. */
const tinyBoard: Board = {
  ...stm32f4_disco,
  name: 'tiny_scratch',
  flashDevices: [
    {
      ...(stm32f4_disco.flashDevices[0] as Board['flashDevices'][number]),
      sectors: [{ count: 8, size: 0x1000, eraseMs: 45 }],
    },
  ],
  partitions: [
    { label: 'boot_partition', device: 'flash0', offset: 0, size: 0x1000 },
    { label: 'slot0_partition', device: 'flash0', offset: 0x1000, size: 0x3000 },
    { label: 'slot1_partition', device: 'flash0', offset: 0x4000, size: 0x3000 },
    { label: 'scratch_partition', device: 'flash0', offset: 0x7000, size: 0x1000 },
  ],
};

interface SlotsState {
  primary: Uint8Array;
  secondary: Uint8Array;
}

function slots(flash: Flash, board: Board): SlotsState {
  const a = areasOf(flash, board);
  return { primary: a.primary.peek(), secondary: a.secondary.peek() };
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

async function prepare(board: Board, bodySizes: [number, number]) {
  const flash = makeFlash(board);
  const areas = areasOf(flash, board);
  const one = await makeImage({ headerSize: board.mcuboot.headerSize, bodySize: bodySizes[0], seed: 11 });
  const two = await makeImage({ headerSize: board.mcuboot.headerSize, bodySize: bodySizes[1], seed: 22 });
  flash.load(one.bytes, slotPartition(board, 0).offset);
  uploadImage(areas.secondary, two.bytes);
  setPending(areas.secondary, false);
  return { flash, areas, one: one.bytes, two: two.bytes };
}

/**
 * From `start`, measure an uninterrupted boot (N operations), then for each i < N cut power
 * before operation i and boot again. Returns N and the reference end state.
 */
async function sweep(flash: Flash, board: Board, start: ReturnType<Flash['snapshot']>, expectSwap: SwapType) {
  const boot = () => bootGo({ flash, board, validate: hashValidator });
  flash.restore(start);
  const ref = await boot();
  expect(ref.booted).toBe(true);
  expect(ref.swapType).toBe(expectSwap);
  const N = ref.flashOps;
  const expected = slots(flash, board);
  const end = flash.snapshot();
  const failures: string[] = [];
  for (let i = 1; i < N; i++) {
    flash.restore(start);
    flash.powerOn();
    flash.cutPowerBefore(i);
    await expect(boot()).rejects.toBeInstanceOf(PowerCut);
    flash.powerOn();
    const r = await boot();
    const got = slots(flash, board);
    if (!r.booted || !same(got.primary, expected.primary) || !same(got.secondary, expected.secondary)) {
      failures.push(`cut before op ${i}: booted=${r.booted} swap=${r.swapType} resumed=${r.resumed}`);
    }
  }
  expect(failures).toEqual([]);
  flash.restore(end);
  return N;
}

describe.each([
  {
    name: 'stm32f4_disco, small images (trailer region untouched)',
    board: stm32f4_disco,
    bodies: [3000, 5000] as [number, number],
  },
  {
    name: 'tiny 4K-sector board, images reaching the trailer sector',
    board: tinyBoard,
    bodies: [9000, 10000] as [number, number],
  },
])('power-fail sweep: $name', ({ board, bodies }) => {
  it('every interrupted test upgrade, then every interrupted revert, ends as if uninterrupted', async () => {
    const { flash, areas, one, two } = await prepare(board, bodies);
    const nTest = await sweep(flash, board, flash.snapshot(), SwapType.TEST);
    expect(nTest).toBeGreaterThan(10);
    expect(areas.primary.peek(0, two.length)).toEqual(two);
    expect(readSwapState(areas.primary)).toMatchObject({ magic: 1, imageOk: 3, copyDone: 1 });

    const nRevert = await sweep(flash, board, flash.snapshot(), SwapType.REVERT);
    expect(nRevert).toBeGreaterThan(10);
    expect(areas.primary.peek(0, one.length)).toEqual(one);
    expect(areas.secondary.peek(0, two.length)).toEqual(two);
    expect(readSwapState(areas.primary)).toMatchObject({ magic: 1, imageOk: 1, copyDone: 1 });
    const third = await bootGo({ flash, board, validate: hashValidator });
    expect(third.swapType).toBe(SwapType.NONE);
    expect(third.flashOps).toBe(0);
    if (board === stm32f4_disco) console.log(`stm32f4_disco: test swap N=${nTest}, revert N=${nRevert}`);
  });
});
