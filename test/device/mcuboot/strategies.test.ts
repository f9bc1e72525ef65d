// Every MCUboot strategy through its life cycle: test → revert, test → confirm, permanent, and
// validate-primary-slot, on nRF5340-like 4 KiB pages with the geometry each strategy needs.
import { describe, expect, it } from 'vitest';
import type { McubootMode } from '../../../src/device/boards/board.ts';
import { Flash, FlashArea } from '../../../src/device/flash.ts';
import { bootGo } from '../../../src/device/mcuboot/boot.ts';
import {
  imageStartOffset,
  readSwapState,
  setConfirmed,
  setPending,
  swapType,
} from '../../../src/device/mcuboot/public.ts';
import { BootFlag, BootMagic, SwapType } from '../../../src/image/trailer.ts';
import {
  confirm,
  hashOnly,
  makeSigned,
  pending,
  program,
  type Rig,
  rig,
  SECTOR,
  startsWith,
  upload,
  uploadOffset,
  ver,
} from './fixtures.ts';

const ALGORITHM: Record<string, string> = {
  'swap-scratch': 'I: Starting swap using scratch algorithm.',
  'swap-move': 'I: Starting swap using move algorithm.',
  'swap-offset': 'I: Starting swap using offset algorithm.',
};

async function setup(mode: McubootMode, opts: Parameters<typeof rig>[1] = {}) {
  const r = rig(mode, opts);
  const one = await makeSigned(r, { version: '1.0.0', seed: 1, size: 20_000 });
  const two = await makeSigned(r, { version: '2.0.0', seed: 2, size: 26_000 });
  program(r.image().primary, one);
  upload(r, two);
  return { r, one, two };
}

const SWAPS: McubootMode[] = ['swap-scratch', 'swap-move', 'swap-offset'];

describe.each(SWAPS)('%s', (mode) => {
  it('test → swap → unconfirmed reboot reverts → stable', async () => {
    const { r, one, two } = await setup(mode);
    const { primary, secondary } = r.image();
    pending(r, false);
    const first = await r.boot();
    expect(first.booted).toBe(true);
    expect(first.swapType).toBe(SwapType.TEST);
    expect(first.log).toContain('I: Image index: 0, Swap type: test');
    expect(first.log).toContain(ALGORITHM[mode]);
    expect(ver(first)).toBe('2.0.0');
    expect(startsWith(primary, two)).toBe(true);
    expect(startsWith(secondary, one)).toBe(true);
    expect(readSwapState(primary)).toMatchObject({
      magic: BootMagic.GOOD,
      imageOk: BootFlag.UNSET,
      copyDone: BootFlag.SET,
    });

    const second = await r.boot();
    expect(second.swapType).toBe(SwapType.REVERT);
    expect(second.log).toContain('I: Image index: 0, Swap type: revert');
    expect(ver(second)).toBe('1.0.0');
    expect(startsWith(primary, one)).toBe(true);
    expect(startsWith(secondary, two, uploadOffset(r))).toBe(true);
    expect(readSwapState(primary)).toMatchObject({
      magic: BootMagic.GOOD,
      imageOk: BootFlag.SET,
      copyDone: BootFlag.SET,
    });

    const third = await r.boot();
    expect(third.swapType).toBe(SwapType.NONE);
    expect(third.flashOps).toBe(0);
    expect(ver(third)).toBe('1.0.0');
  });

  it('test → swap → confirm keeps the new image', async () => {
    const { r, two } = await setup(mode);
    pending(r, false);
    await r.boot();
    confirm(r);
    for (let i = 0; i < 2; i++) {
      const again = await r.boot();
      expect(again.swapType).toBe(SwapType.NONE);
      expect(again.flashOps).toBe(0);
      expect(ver(again)).toBe('2.0.0');
    }
    expect(startsWith(r.image().primary, two)).toBe(true);
  });

  it('a permanent request upgrades and confirms in one boot', async () => {
    const { r, one, two } = await setup(mode);
    pending(r, true);
    const b = await r.boot();
    expect(b.swapType).toBe(SwapType.PERM);
    expect(startsWith(r.image().primary, two)).toBe(true);
    expect(startsWith(r.image().secondary, one)).toBe(true);
    expect(readSwapState(r.image().primary)).toMatchObject({ imageOk: BootFlag.SET, copyDone: BootFlag.SET });
    expect((await r.boot()).swapType).toBe(SwapType.NONE);
  });

  it('validate-primary-slot: a corrupt primary is not booted; an invalid candidate is erased', async () => {
    const { r, one } = await setup(mode);
    const { primary, secondary } = r.image();
    // The candidate's body is changed after signing: its hash no longer matches.
    secondary.flash.load(Uint8Array.of(0x00), secondary.offset + uploadOffset(r) + 0x300);
    pending(r, false);
    const b = await r.boot();
    expect(b.booted).toBe(true);
    expect(b.swapType).toBe(SwapType.NONE);
    expect(b.log).toContain('E: Image in the secondary slot is not valid!');
    expect(b.reason).toMatch(/hash/);
    expect(secondary.isErased(0, secondary.size)).toBe(true);
    expect(startsWith(primary, one)).toBe(true);

    primary.flash.load(Uint8Array.of(0x00), primary.offset + 0x400);
    const c = await r.boot();
    expect(c.booted).toBe(false);
    expect(c.log).toContain('E: Image in the primary slot is not valid!');
    expect(c.log.at(-1)).toBe('E: Unable to find bootable image');
  });

  it('slot 1 on a separate (external) flash device swaps the same way', async () => {
    const { r, one, two } = await setup(mode, { external: true });
    expect(r.image().secondary.flash).not.toBe(r.image().primary.flash);
    pending(r, false);
    const b = await r.boot();
    expect(b.swapType).toBe(SwapType.TEST);
    expect(startsWith(r.image().primary, two)).toBe(true);
    expect(startsWith(r.image().secondary, one)).toBe(true);
    expect(r.external!.stats.erases).toBeGreaterThan(0);
  });
});

describe('geometry rules', () => {
  it('swap-move refuses equal slots with a trailer-sized image, and slots of different sector sizes', async () => {
    const r = rig('swap-move', { sectors: 6 });
    // Fill all but the spare sector: swap_run finds no free space.
    const one = await makeSigned(r, { version: '1.0.0', size: 8000 });
    const big = await makeSigned(r, { version: '2.0.0', size: 5 * SECTOR });
    program(r.image().primary, one);
    upload(r, big);
    pending(r, false);
    const b = await r.boot();
    expect(b.log).toContain('W: Not enough free space to run swap upgrade');
    expect(b.swapType).toBe(SwapType.NONE);
    expect(startsWith(r.image().primary, one)).toBe(true);
  });

  it('Zephyr writes uploads one sector in for swap-offset only (boot_get_image_start_offset)', () => {
    expect(imageStartOffset(rig('swap-offset').image().secondary, 'swap-offset', true)).toBe(SECTOR);
    expect(imageStartOffset(rig('swap-offset').image().primary, 'swap-offset', false)).toBe(0);
    expect(imageStartOffset(rig('swap-move').image().secondary, 'swap-move', true)).toBe(0);
  });

  it('swap-offset rejects an update written at the start of the secondary slot', async () => {
    const r = rig('swap-offset');
    const one = await makeSigned(r, { version: '1.0.0' });
    const two = await makeSigned(r, { version: '2.0.0', seed: 3 });
    program(r.image().primary, one);
    program(r.image().secondary, two, 0);
    pending(r, false);
    const b = await r.boot();
    expect(b.log).toContain('E: Secondary header magic detected in first sector, wrong upload address?');
    expect(b.swapType).toBe(SwapType.NONE);
    expect(r.image().secondary.isErased(0, r.image().secondary.size)).toBe(true);
    expect(b.reason).toMatch(/one sector \(0x1000 bytes\) in/);
  });

  it.each([
    ['swap-move', 'a primary two sectors larger', 8, 6],
    ['swap-move', 'a secondary larger than the primary', 6, 7],
    ['swap-offset', 'a primary larger than the secondary', 7, 6],
    ['swap-offset', 'a secondary two sectors larger', 6, 8],
  ] as const)('%s refuses %s (%i/%i sectors) and boots the old image', async (mode, _what, p, s) => {
    const flash = new Flash({ sectors: new Array(p + s).fill(SECTOR), writeAlign: 4 });
    const primary = new FlashArea(flash, { label: 'slot0', offset: 0, size: p * SECTOR });
    const secondary = new FlashArea(flash, { label: 'slot1', offset: p * SECTOR, size: s * SECTOR });
    const layout = { images: [{ primary, secondary }], mappedAt: new Map([[flash, 0]]) };
    const r = rig(mode);
    const one = await makeSigned(r, { version: '1.0.0', size: 8000 }, p * SECTOR);
    const two = await makeSigned(r, { version: '2.0.0', seed: 5, size: 8000 }, p * SECTOR);
    flash.load(one, 0);
    flash.load(two, secondary.offset + uploadOffset(r));
    setPending(secondary, false);
    const b = await bootGo({ layout, config: r.config, validate: hashOnly });
    expect(b.log).toContain('W: Cannot upgrade: not a compatible amount of sectors');
    expect(b.swapType).toBe(SwapType.NONE);
    expect(ver(b)).toBe('1.0.0');
    expect(b.flashOps).toBe(0);
  });
});

describe('slots of different sizes (boot_slots_compatible, swap_scratch.c)', () => {
  it.each([
    ['swap-scratch', 8, 6],
    ['overwrite-only', 8, 6],
    ['overwrite-only', 6, 8],
  ] as const)('%s with %i/%i sectors says "not compatible" and boots the old image', async (mode, p, s) => {
    const r = rig(mode, { slots: { primary: p, secondary: s } });
    const one = await makeSigned(r, { version: '1.0.0', size: 8000 }, Math.min(p, s) * SECTOR);
    const two = await makeSigned(r, { version: '2.0.0', seed: 9, size: 8000 }, Math.min(p, s) * SECTOR);
    program(r.image().primary, one);
    upload(r, two);
    pending(r, false);
    // The comparison ran past the shorter sector table and never ended, before.
    const b = await r.boot();
    expect(b.log).toContain('W: Cannot upgrade: slots are not compatible');
    expect(ver(b)).toBe('1.0.0');
  });
});

describe('overwrite-only', () => {
  it('copies the test image over the primary, erases the candidate; nothing to revert', async () => {
    const { r, two } = await setup('overwrite-only');
    pending(r, false);
    const b = await r.boot();
    expect(b.swapType).toBe(SwapType.TEST);
    expect(b.log).toContain('I: Image 0 upgrade secondary slot -> primary slot');
    expect(startsWith(r.image().primary, two)).toBe(true);
    expect(r.image().secondary.isErased(0, SECTOR)).toBe(true);
    expect(swapType(r.image().primary, r.image().secondary)).toBe(SwapType.NONE);
    const again = await r.boot();
    expect(again.swapType).toBe(SwapType.NONE);
    expect(again.flashOps).toBe(0);
    expect(ver(again)).toBe('2.0.0');
  });

  it('a permanent request is the same copy', async () => {
    const { r, two } = await setup('overwrite-only');
    pending(r, true);
    expect((await r.boot()).swapType).toBe(SwapType.PERM);
    expect(startsWith(r.image().primary, two)).toBe(true);
  });
});

async function xipSetup(mode: McubootMode): Promise<{ r: Rig; one: Uint8Array; two: Uint8Array }> {
  const r = rig(mode);
  const one = await makeSigned(r, { version: '1.0.0', seed: 1 });
  const two = await makeSigned(r, { version: '2.0.0', seed: 2 });
  program(r.image().primary, one);
  upload(r, two);
  return { r, one, two };
}

describe('direct-xip', () => {
  it('runs the highest valid version in place, from either slot, without moving it', async () => {
    const { r } = await xipSetup('direct-xip');
    const b = await r.boot();
    expect(b.booted).toBe(true);
    expect(b.images[0]!.slot).toBe('secondary');
    expect(b.flashOps).toBe(0);
    expect(b.imageOffset).toBe(r.image().secondary.offset);
    expect(b.log).toEqual([
      'I: Starting bootloader',
      'I: Primary   slot: version=1.0.0+0',
      'I: Secondary slot: version=2.0.0+0',
      'I: Image 0 loaded from the secondary slot',
      `I: Bootloader chainload address offset: 0x${r.image().secondary.offset.toString(16)}`,
      'I: Jumping to the first image slot',
    ]);
  });

  it('an invalid newer image is erased and the older one runs', async () => {
    const { r } = await xipSetup('direct-xip');
    const sec = r.image().secondary;
    sec.flash.load(Uint8Array.of(0x00), sec.offset + 0x300);
    const b = await r.boot();
    expect(b.images[0]!.slot).toBe('primary');
    expect(b.log).toContain('E: Image in the secondary slot is not valid!');
    expect(sec.isErased(0, sec.size)).toBe(true);
  });
});

describe('direct-xip with revert', () => {
  it('test → runs once → unconfirmed: erased at the next boot, the old image runs', async () => {
    const { r } = await xipSetup('direct-xip-revert');
    // The image already running is confirmed (imgtool --confirm or boot_set_confirmed).
    confirmSlot(r, 'primary');
    pending(r, false);
    const first = await r.boot();
    expect(first.images[0]!.slot).toBe('secondary');
    expect(readSwapState(r.image().secondary)).toMatchObject({
      copyDone: BootFlag.SET,
      imageOk: BootFlag.UNSET,
    });
    const second = await r.boot();
    expect(second.images[0]!.slot).toBe('primary');
    expect(r.image().secondary.isErased(0, r.image().secondary.size)).toBe(true);
    expect(second.reason).toMatch(/tried and not confirmed/);
  });

  it('test → confirmed at run time → keeps running from the secondary slot', async () => {
    const { r } = await xipSetup('direct-xip-revert');
    confirmSlot(r, 'primary');
    pending(r, false);
    await r.boot();
    confirmSlot(r, 'secondary');
    for (let i = 0; i < 2; i++) expect((await r.boot()).images[0]!.slot).toBe('secondary');
  });

  it('permanent (image_ok written with the request) keeps the new image', async () => {
    const { r } = await xipSetup('direct-xip-revert');
    confirmSlot(r, 'primary');
    pending(r, true);
    for (let i = 0; i < 2; i++) expect((await r.boot()).images[0]!.slot).toBe('secondary');
  });

  it('an image without a trailer is never selected (boot_select_or_erase erases it)', async () => {
    const { r } = await xipSetup('direct-xip-revert');
    confirmSlot(r, 'primary');
    const b = await r.boot();
    expect(b.images[0]!.slot).toBe('primary');
    expect(r.image().secondary.isErased(0, r.image().secondary.size)).toBe(true);
  });
});

/**
 * A confirmed image in direct-XIP: a trailer with magic and image_ok (what imgtool --confirm
 * writes, or setPending + boot_set_confirmed on the running slot).
 */
function confirmSlot(r: Rig, slot: 'primary' | 'secondary'): void {
  const area = r.image()[slot];
  if (readSwapState(area).magic !== BootMagic.GOOD) setPending(area, false);
  setConfirmed(area);
}

describe('ram-load', () => {
  const RAM = { start: 0x2000_0000, size: 0x10000 };
  it('copies the highest valid version into RAM and runs it there', async () => {
    const r = rig('ram-load', { extra: { executableRam: RAM } });
    const one = await makeSigned(r, { version: '1.0.0', seed: 1, loadAddr: RAM.start });
    const two = await makeSigned(r, { version: '1.1.0', seed: 2, loadAddr: RAM.start + 0x100 });
    program(r.image().primary, one);
    upload(r, two);
    const b = await r.boot();
    expect(b.booted).toBe(true);
    expect(b.images[0]).toMatchObject({
      slot: 'secondary',
      loadedTo: { address: RAM.start + 0x100, size: two.length },
    });
    expect(b.log).toContain('I: Image 0 RAM loading to 0x20000100 is succeeded.');
    expect(b.ram!.bytes.subarray(0x100, 0x100 + two.length)).toEqual(two);
  });

  it('an image whose load address is outside executable RAM is removed from flash; the other runs', async () => {
    const r = rig('ram-load', { extra: { executableRam: RAM } });
    const one = await makeSigned(r, { version: '1.0.0', seed: 1, loadAddr: RAM.start });
    const two = await makeSigned(r, { version: '1.1.0', seed: 2, loadAddr: RAM.start + RAM.size - 0x100 });
    program(r.image().primary, one);
    upload(r, two);
    const b = await r.boot();
    expect(b.log).toContain('I: Image 0 RAM load address 0x2000ff00 is invalid.');
    expect(b.log).toContain('I: Removing image 0 slot 1 from flash');
    expect(b.images[0]).toMatchObject({ slot: 'primary', loadedTo: { address: RAM.start } });
    expect(r.image().secondary.isErased(0, r.image().secondary.size)).toBe(true);
  });

  it('an invalid image is removed from RAM and erased; without a valid one nothing boots', async () => {
    const r = rig('ram-load', { extra: { executableRam: RAM } });
    const one = await makeSigned(r, { version: '1.0.0', seed: 1, loadAddr: RAM.start });
    program(r.image().primary, one);
    r.flash.load(Uint8Array.of(0x00), r.image().primary.offset + 0x300);
    const b = await r.boot();
    expect(b.booted).toBe(false);
    expect(b.log).toContain('I: Removing image 0 from SRAM at address 0x20000000');
    expect(b.log).toContain('I: No slot to load for image 0');
    expect(b.ram!.bytes.every((x) => x === 0)).toBe(true);
  });
});

describe.each(['swap-scratch', 'swap-move', 'swap-offset', 'overwrite-only'] as const)(
  '%s without validate-primary-slot',
  (mode) => {
    it('checks only the primary header magic (a corrupt body boots, an erased header does not)', async () => {
      const { r } = await setup(mode, { extra: { validatePrimarySlot: false } });
      const { primary } = r.image();
      primary.flash.load(Uint8Array.of(0x00), primary.offset + 0x400);
      const b = await r.boot();
      expect(b.booted).toBe(true);
      expect(b.log).not.toContain('E: Image in the primary slot is not valid!');
      primary.erase(0, SECTOR);
      const c = await r.boot();
      expect(c.booted).toBe(false);
      expect(c.log).toContain('E: Bad image magic 0xffffffff; Image=0');
    });
  },
);

describe('layouts MCUboot could not have been built for', () => {
  it('refuses swap using scratch without scratch, and RAM-load without executable RAM, in words', async () => {
    const r = rig('swap-move');
    const layout = r.layout;
    const validate = hashOnly;
    await expect(bootGo({ layout, config: { ...r.config, mode: 'swap-scratch' }, validate })).rejects.toThrow(
      /image 0: swap using scratch needs a scratch partition; add one or choose swap-move \/ swap-offset/,
    );
    await expect(bootGo({ layout, config: { ...r.config, mode: 'ram-load' }, validate })).rejects.toThrow(
      /RAM-load needs the executable RAM region/,
    );
    await expect(bootGo({ layout: { ...layout, images: [] }, config: r.config, validate })).rejects.toThrow(
      /1 to 16 images \(BOOT_IMAGE_NUMBER\); this layout has 0/,
    );
  });
});

describe('ram-load with two images', () => {
  it('refuses an image whose RAM range overlaps the other image, and runs the older one', async () => {
    const RAM = { start: 0x2000_0000, size: 0x20000 };
    const r = rig('ram-load', { images: 2, extra: { executableRam: RAM } });
    program(r.image(0).primary, await makeSigned(r, { version: '1.0.0', seed: 1, loadAddr: RAM.start }));
    program(
      r.image(1).primary,
      await makeSigned(r, { version: '1.0.0', seed: 2, size: 8000, loadAddr: RAM.start + 0x10000 }),
    );
    upload(
      r,
      await makeSigned(r, { version: '1.1.0', seed: 3, size: 8000, loadAddr: RAM.start + 0x1000 }),
      1,
    );
    const b = await r.boot();
    expect(b.log).toContain(
      `I: Image 1 RAM loading to address 0x20001000 would overlap with${' '.repeat(25)}another image.`,
    );
    expect(b.images.map((i) => i.slot)).toEqual(['primary', 'primary']);
    expect(b.images[1]!.loadedTo).toEqual({ address: RAM.start + 0x10000, size: expect.any(Number) });
  });
});
