import { describe, expect, it } from 'vitest';
import { slotPartition } from '../../src/device/boards/board.ts';
import { esp32_devkitc_wroom } from '../../src/device/boards/esp32_devkitc_wroom.ts';
import { stm32f4_disco } from '../../src/device/boards/stm32f4_disco.ts';
import { bootGo } from '../../src/device/mcuboot/boot.ts';
import { BootError } from '../../src/device/mcuboot/errors.ts';
import { readSwapState, setConfirmed, setPending, swapType } from '../../src/device/mcuboot/public.ts';
import {
  decideSwapType,
  SWAP_TABLE,
  SWAP_TABLE_V2_0_0,
  swapTableFor,
} from '../../src/device/mcuboot/swap-type.ts';
import type { SwapState } from '../../src/device/mcuboot/trailer-io.ts';
import { BootFlag, BootMagic, bootMagic, SwapType, trailerLayout } from '../../src/image/trailer.ts';
import { areasOf, hashValidator, makeFlash, makeImage, startsWith, uploadImage } from './mcuboot-fixtures.ts';

const st = (magic: BootMagic, imageOk: BootFlag, copyDone: BootFlag): SwapState => ({
  magic,
  imageOk,
  copyDone,
  swapType: SwapType.NONE,
  imageNum: 0,
});
const { GOOD, UNSET: MU, BAD: MB } = BootMagic;
const { SET, UNSET: FU, BAD: FB } = BootFlag;

describe('boot_swap_type_multi table', () => {
  it('decides TEST, PERM, REVERT and NONE row by row', () => {
    expect(decideSwapType(st(MU, FU, FU), st(GOOD, FU, FU))).toEqual({ swapType: SwapType.TEST, row: 0 });
    expect(decideSwapType(st(GOOD, SET, SET), st(GOOD, SET, FU))).toEqual({
      swapType: SwapType.PERM,
      row: 1,
    });
    expect(decideSwapType(st(GOOD, FU, SET), st(MU, FU, FU))).toEqual({ swapType: SwapType.REVERT, row: 2 });
    expect(decideSwapType(st(GOOD, SET, SET), st(MU, FU, FU)).swapType).toBe(SwapType.NONE);
    expect(decideSwapType(st(MU, FU, FU), st(MU, FU, FU)).swapType).toBe(SwapType.NONE);
    // copy_done unset: a freshly flashed padded image is not reverted.
    expect(decideSwapType(st(GOOD, FU, FU), st(MU, FU, FU)).swapType).toBe(SwapType.NONE);
    // A BAD flag matches neither SET nor UNSET.
    expect(decideSwapType(st(MU, FU, FU), st(GOOD, FB, FU)).swapType).toBe(SwapType.NONE);
    expect(decideSwapType(st(GOOD, FB, SET), st(MU, FU, FU)).swapType).toBe(SwapType.NONE);
  });

  it('differs from v2.0.0 only when the secondary magic is not UNSET on a revert', () => {
    const tornRevert = [st(GOOD, FU, SET), st(MB, FU, FU)] as const;
    expect(decideSwapType(...tornRevert, SWAP_TABLE).swapType).toBe(SwapType.REVERT);
    expect(decideSwapType(...tornRevert, SWAP_TABLE_V2_0_0).swapType).toBe(SwapType.NONE);
    expect(swapTableFor('v2.0.0')).toBe(SWAP_TABLE_V2_0_0);
    expect(swapTableFor('v2.1.0')).toBe(SWAP_TABLE_V2_0_0);
    expect(swapTableFor('v2.2.0')).toBe(SWAP_TABLE);
  });
});

describe('bootutil_public on flash', () => {
  it('setPending writes magic, image_ok (permanent) and swap_info at the trailer offsets', () => {
    const flash = makeFlash(stm32f4_disco);
    const { secondary } = areasOf(flash, stm32f4_disco);
    const S = secondary.size;
    setPending(secondary, true);
    expect(secondary.peek(S - 16, 16)).toEqual(bootMagic(8));
    expect(secondary.peek(S - 24, 1)[0]).toBe(0x01);
    expect(secondary.peek(S - 40, 1)[0]).toBe(0x03);
    expect(secondary.peek(S - 32, 1)[0]).toBe(0xff);
    const before = flash.mutations;
    setPending(secondary, false);
    expect(flash.mutations).toBe(before);
    expect(readSwapState(secondary)).toMatchObject({ magic: GOOD, imageOk: SET, swapType: SwapType.PERM });
  });

  it('setPending refuses a corrupt magic; setConfirmed writes only when needed', () => {
    const flash = makeFlash(stm32f4_disco);
    const { primary, secondary } = areasOf(flash, stm32f4_disco);
    secondary.write(secondary.size - 16, new Uint8Array(16).fill(0x55));
    expect(() => setPending(secondary, false)).toThrow(BootError);
    expect(() => setPending(secondary, false)).toThrow(/BOOT_EBADIMAGE = 3/);
    const before = flash.mutations;
    setConfirmed(primary);
    expect(flash.mutations).toBe(before);
    primary.write(primary.size - 16, bootMagic(8));
    setConfirmed(primary);
    expect(primary.peek(primary.size - 24, 1)[0]).toBe(0x01);
    const after = flash.mutations;
    setConfirmed(primary);
    expect(flash.mutations).toBe(after);
  });
});

async function stmSetup() {
  const board = stm32f4_disco;
  const flash = makeFlash(board);
  const areas = areasOf(flash, board);
  const one = await makeImage({
    headerSize: board.mcuboot.headerSize,
    bodySize: 3000,
    seed: 1,
    version: [1, 0, 0],
  });
  const two = await makeImage({
    headerSize: board.mcuboot.headerSize,
    bodySize: 5000,
    seed: 2,
    version: [2, 0, 0],
  });
  flash.load(one.bytes, slotPartition(board, 0).offset);
  uploadImage(areas.secondary, two.bytes);
  const boot = () => bootGo({ flash, board, validate: hashValidator });
  return { board, flash, areas, one: one.bytes, two: two.bytes, boot };
}

describe('MCUboot swap using scratch on stm32f4_disco', () => {
  it('boots a plain primary image without touching flash', async () => {
    const { boot } = await stmSetup();
    const r = await boot();
    expect(r.booted).toBe(true);
    expect(r.swapType).toBe(SwapType.NONE);
    expect(r.flashOps).toBe(0);
    expect(r.imageOffset).toBe(0x40000);
    expect(r.imageAddress).toBe(0x08040000);
    expect(r.headerSize).toBe(0x200);
    expect(r.log).toEqual([
      '*** Booting Zephyr OS build zephyr-v3.5.0 ***',
      'I: Starting bootloader',
      'I: Primary image: magic=unset, swap_type=0x1, copy_done=0x3, image_ok=0x3',
      'I: Scratch: magic=unset, swap_type=0x1, copy_done=0x3, image_ok=0x3',
      'I: Boot source: primary slot',
      'I: Image index: 0, Swap type: none',
      'I: Bootloader chainload address offset: 0x40000',
      'I: Jumping to the first image slot',
    ]);
  });

  it('test → swap → unconfirmed reboot reverts → stable', async () => {
    const { areas, one, two, boot } = await stmSetup();
    setPending(areas.secondary, false);
    expect(swapType(areas.primary, areas.secondary)).toBe(SwapType.TEST);

    const first = await boot();
    expect(first.booted).toBe(true);
    expect(first.swapType).toBe(SwapType.TEST);
    expect(first.log).toContain('I: Image index: 0, Swap type: test');
    expect(first.log).toContain('I: Starting swap using scratch algorithm.');
    expect(first.version?.major).toBe(2);
    expect(first.flashTimeUs).toBeGreaterThan(3_000_000);
    expect(startsWith(areas.primary, two)).toBe(true);
    expect(startsWith(areas.secondary, one)).toBe(true);
    expect(readSwapState(areas.primary)).toMatchObject({
      magic: GOOD,
      imageOk: FU,
      copyDone: SET,
      swapType: SwapType.TEST,
    });
    expect(readSwapState(areas.secondary)).toMatchObject({ magic: MU, imageOk: FU, copyDone: FU });
    expect(swapType(areas.primary, areas.secondary)).toBe(SwapType.REVERT);

    const second = await boot();
    expect(second.swapType).toBe(SwapType.REVERT);
    expect(second.log).toContain('I: Image index: 0, Swap type: revert');
    expect(startsWith(areas.primary, one)).toBe(true);
    expect(startsWith(areas.secondary, two)).toBe(true);
    expect(readSwapState(areas.primary)).toMatchObject({ magic: GOOD, imageOk: SET, copyDone: SET });
    expect(readSwapState(areas.secondary)).toMatchObject({ magic: MU, imageOk: FU, copyDone: FU });

    const third = await boot();
    expect(third.swapType).toBe(SwapType.NONE);
    expect(third.flashOps).toBe(0);
    expect(third.log).toContain('I: Boot source: none');
    expect(startsWith(areas.primary, one)).toBe(true);
  });

  it('test → swap → confirm keeps the new image', async () => {
    const { areas, two, boot } = await stmSetup();
    setPending(areas.secondary, false);
    await boot();
    setConfirmed(areas.primary);
    expect(readSwapState(areas.primary)).toMatchObject({ magic: GOOD, imageOk: SET, copyDone: SET });
    for (let i = 0; i < 2; i++) {
      const r = await boot();
      expect(r.swapType).toBe(SwapType.NONE);
      expect(startsWith(areas.primary, two)).toBe(true);
    }
  });

  it('a permanent request upgrades and confirms in one boot', async () => {
    const { areas, one, two, boot } = await stmSetup();
    setPending(areas.secondary, true);
    const r = await boot();
    expect(r.swapType).toBe(SwapType.PERM);
    expect(startsWith(areas.primary, two)).toBe(true);
    expect(startsWith(areas.secondary, one)).toBe(true);
    expect(readSwapState(areas.primary)).toMatchObject({ magic: GOOD, imageOk: SET, copyDone: SET });
    expect((await boot()).swapType).toBe(SwapType.NONE);
  });

  it('an invalid secondary is erased and the old image boots', async () => {
    const { areas, one, boot } = await stmSetup();
    areas.secondary.erase(0, 0x20000);
    const bad = await makeImage({ headerSize: 0x200, bodySize: 4000, seed: 9 });
    bad.bytes[0x300] = (bad.bytes[0x300]! + 1) & 0xff;
    uploadImage(areas.secondary, bad.bytes);
    setPending(areas.secondary, false);
    const r = await boot();
    expect(r.booted).toBe(true);
    expect(r.swapType).toBe(SwapType.NONE);
    expect(r.reason).toBe('hash mismatch');
    expect(r.log).toContain('E: Image in the secondary slot is not valid!');
    expect(startsWith(areas.primary, one)).toBe(true);
    expect(areas.secondary.isErased(0, areas.secondary.size)).toBe(true);
  });

  it('does not boot a corrupt primary', async () => {
    const { flash, areas, boot } = await stmSetup();
    flash.erase(0x40000, 0x20000);
    areas.primary.write(0, new Uint8Array(32).fill(0x11));
    const r = await boot();
    expect(r.booted).toBe(false);
    expect(r.log.at(-1)).toBe('E: Unable to find bootable image');
  });
});

describe('MCUboot overwrite-only on esp32_devkitc_wroom', () => {
  it('copies the test image over slot 0 and leaves no second image', async () => {
    const board = esp32_devkitc_wroom;
    const flash = makeFlash(board);
    const areas = areasOf(flash, board);
    const one = await makeImage({ headerSize: 0x20, bodySize: 6000, seed: 3 });
    const two = await makeImage({ headerSize: 0x20, bodySize: 7000, seed: 4 });
    flash.load(one.bytes, slotPartition(board, 0).offset);
    uploadImage(areas.secondary, two.bytes);
    setPending(areas.secondary, false);
    const r = await bootGo({ flash, board, validate: hashValidator });
    expect(r.booted).toBe(true);
    expect(r.swapType).toBe(SwapType.TEST);
    expect(r.log).toContain('I: Image 0 copying the secondary slot to the primary slot: 0x100000 bytes');
    expect(r.log).not.toContain('I: Starting swap using scratch algorithm.');
    expect(startsWith(areas.primary, two.bytes)).toBe(true);
    // Secondary header and trailer sectors erased: no image, no pending request.
    expect(areas.secondary.isErased(0, 0x1000)).toBe(true);
    expect(readSwapState(areas.secondary).magic).toBe(MU);
    // The copied trailer: magic good, image_ok/copy_done unset → NONE, nothing to revert to.
    const s = readSwapState(areas.primary);
    expect(s).toMatchObject({ magic: GOOD, imageOk: FU, copyDone: FU, swapType: SwapType.TEST });
    expect(swapType(areas.primary, areas.secondary)).toBe(SwapType.NONE);
    const again = await bootGo({ flash, board, validate: hashValidator });
    expect(again.swapType).toBe(SwapType.NONE);
    expect(again.flashOps).toBe(0);
    expect(startsWith(areas.primary, two.bytes)).toBe(true);
    // write-block-size 4: image_ok is written as a 4-byte block.
    setConfirmed(areas.primary);
    const t = trailerLayout({ slotSize: areas.primary.size });
    expect(Array.from(areas.primary.peek(t.imageOkOff, 4))).toEqual([1, 0xff, 0xff, 0xff]);
  });
});
