import { describe, expect, it } from 'vitest';
import { findPartition, type Partition, slotPartition } from '../../src/device/boards/board.ts';
import { stm32f4_disco } from '../../src/device/boards/stm32f4_disco.ts';
import { Flash, FlashArea, FlashError, type FlashOperation, PowerCut } from '../../src/device/flash.ts';
import {
  BootFlag,
  BootMagic,
  bootMagic,
  decodeFlag,
  decodeMagic,
  decodeSwapInfo,
  encodeSwapInfo,
  SwapType,
  trailerLayout,
} from '../../src/image/trailer.ts';
import { makeFlash } from './mcuboot-fixtures.ts';

function small(writeAlign = 1): Flash {
  return new Flash({ name: 'test', sectors: [0x100, 0x100, 0x200], writeAlign });
}

describe('Flash rules', () => {
  it('starts erased and reads anywhere', () => {
    const f = small();
    expect(f.size).toBe(0x400);
    expect(f.read(0x3f0, 0x10).every((b) => b === 0xff)).toBe(true);
  });

  it('refuses to program a byte twice without an erase', () => {
    const f = small();
    f.write(0x10, Uint8Array.of(1, 2));
    expect(() => f.write(0x11, Uint8Array.of(3))).toThrow(/write to unerased location 0x11/);
    f.erase(0, 0x100);
    f.write(0x11, Uint8Array.of(3));
    expect(f.read(0x10, 2)).toEqual(Uint8Array.of(0xff, 3));
  });

  it('lets an erased-value byte be programmed later, as NOR flash does', () => {
    const f = small();
    f.write(0x20, Uint8Array.of(0xff));
    f.write(0x20, Uint8Array.of(0x01));
    expect(f.read(0x20, 1)[0]).toBe(0x01);
  });

  it('enforces write alignment and granularity', () => {
    const f = small(4);
    expect(() => f.write(2, new Uint8Array(4))).toThrow(/not aligned to the 4-byte write block/);
    expect(() => f.write(0, new Uint8Array(3))).toThrow(FlashError);
    f.write(4, new Uint8Array(8));
  });

  it('erases whole sectors only', () => {
    const f = small();
    expect(() => f.erase(0x80, 0x100)).toThrow(/0x80 is not a sector boundary \(sector starts at 0x0\)/);
    expect(() => f.erase(0x100, 0x180)).toThrow(/ends inside a sector \(next boundary 0x400\)/);
    f.erase(0x100, 0x300);
  });

  it('bounds-checks every access', () => {
    const f = small();
    expect(() => f.read(0x3ff, 2)).toThrow(/runs past the end of the 1024-byte flash/);
    expect(() => f.write(-1, new Uint8Array(1))).toThrow(FlashError);
  });

  it('counts operations, accumulates simulated time and notifies observers', () => {
    const f = makeFlash(stm32f4_disco);
    const seen: FlashOperation[] = [];
    const off = f.onOperation((op) => seen.push(op));
    f.erase(0x20000, 0x20000);
    f.write(0x20000, new Uint8Array(256));
    f.read(0x20000, 16);
    off();
    f.read(0, 1);
    const s = f.stats;
    expect([s.erases, s.writes, s.reads]).toEqual([1, 1, 2]);
    expect(s.bytesErased).toBe(0x20000);
    expect(s.timeUs).toBeCloseTo(1_000_000 + 256 * 4 + 17 * 0.01, 3);
    expect(seen.map((o) => [o.kind, o.mutationNumber])).toEqual([
      ['erase', 1],
      ['write', 2],
      ['read', undefined],
    ]);
    expect(f.mutations).toBe(2);
  });

  it('cuts power before the chosen write/erase and stays off until powered on', () => {
    const f = small();
    f.cutPowerBefore(2);
    f.write(0, Uint8Array.of(1));
    f.read(0, 1);
    expect(() => f.write(1, Uint8Array.of(2))).toThrow(PowerCut);
    expect(f.isPoweredOff).toBe(true);
    expect(() => f.read(0, 1)).toThrow(/power cut before flash operation #2/);
    f.powerOn();
    expect(f.read(0, 2)).toEqual(Uint8Array.of(1, 0xff));
    expect(f.mutations).toBe(1);
  });

  it('snapshots and restores contents', () => {
    const f = small();
    const snap = f.snapshot();
    f.write(0, Uint8Array.of(7));
    f.restore(snap);
    expect(f.read(0, 1)[0]).toBe(0xff);
  });
});

describe('FlashArea', () => {
  it('maps partition-relative offsets and sectors', () => {
    const f = makeFlash(stm32f4_disco);
    const slot0 = new FlashArea(f, slotPartition(stm32f4_disco, 0));
    expect(slot0.sectors).toEqual([
      { offset: 0, size: 0x20000 },
      { offset: 0x20000, size: 0x20000 },
    ]);
    slot0.write(0x10, Uint8Array.of(0xaa));
    expect(f.read(0x40010, 1)[0]).toBe(0xaa);
    expect(() => slot0.read(0x3ffff, 2)).toThrow(
      /slot0_partition: read of 2 bytes at 0x3ffff runs past the end of the 0x40000-byte partition/,
    );
  });

  it('covers the board geometry: 4×16K, 1×64K, 7×128K', () => {
    const f = makeFlash(stm32f4_disco);
    expect(f.size).toBe(0x100000);
    const boot = new FlashArea(f, findPartition(stm32f4_disco, 'boot_partition') as Partition);
    expect(boot.sectors.map((s) => s.size)).toEqual([0x4000, 0x4000, 0x4000, 0x4000, 0x10000]);
  });

  it('rejects a partition that does not start on a sector boundary', () => {
    const f = makeFlash(stm32f4_disco);
    expect(() => new FlashArea(f, { label: 'bad', offset: 0x21000, size: 0x1000 })).toThrow(
      /not a sector boundary/,
    );
  });
});

describe('trailer layout and encodings', () => {
  it('places the fields like bootutil for max-align 8', () => {
    const S = 0x60000;
    const t = trailerLayout({ slotSize: S });
    expect(S - t.magicOff).toBe(16);
    expect(S - t.imageOkOff).toBe(24);
    expect(S - t.copyDoneOff).toBe(32);
    expect(S - t.swapInfoOff).toBe(40);
    expect(S - t.swapSizeOff).toBe(48);
    expect(t.trailerSize).toBe(0x1b0);
    expect(t.statusOff).toBe(S - 0x1b0);
    expect(trailerLayout({ slotSize: S, writeSize: 4 }).trailerSize).toBe(0x630);
    expect(trailerLayout({ slotSize: S, writeSize: 8 }).trailerSize).toBe(0xc30);
    expect(trailerLayout({ slotSize: 0x20000, scratch: true }).trailerSize).toBe(3 + 48);
    expect(trailerLayout({ slotSize: S, overwriteOnly: true }).trailerSize).toBe(32);
  });

  it('follows max-align 16 and 32', () => {
    const S = 0x10000;
    const t16 = trailerLayout({ slotSize: S, maxAlign: 16, writeSize: 16 });
    expect(S - t16.imageOkOff).toBe(32);
    expect(t16.trailerSize).toBe(6224);
    const t32 = trailerLayout({ slotSize: S, maxAlign: 32, writeSize: 32 });
    expect(S - t32.imageOkOff).toBe(64);
    expect(t32.magicBlockOff).toBe(S - 32);
    expect(t32.trailerSize).toBe(12448);
  });

  it('encodes the magic variants', () => {
    expect(Array.from(bootMagic(8).subarray(0, 4))).toEqual([0x77, 0xc2, 0x95, 0xf3]);
    expect(Array.from(bootMagic(16).subarray(0, 3))).toEqual([0x10, 0x00, 0x2d]);
    expect(decodeMagic(bootMagic(8))).toBe(BootMagic.GOOD);
    expect(decodeMagic(new Uint8Array(16).fill(0xff))).toBe(BootMagic.UNSET);
    expect(decodeMagic(bootMagic(16), 8)).toBe(BootMagic.BAD);
  });

  it('decodes flags and swap_info', () => {
    expect(decodeFlag(0x01)).toBe(BootFlag.SET);
    expect(decodeFlag(0xff)).toBe(BootFlag.UNSET);
    expect(decodeFlag(0x00)).toBe(BootFlag.BAD);
    expect(decodeFlag(0x00, 0x00)).toBe(BootFlag.UNSET);
    expect(encodeSwapInfo(SwapType.TEST, 1)).toBe(0x12);
    expect(decodeSwapInfo(0x13)).toEqual({ swapType: SwapType.PERM, imageNum: 1 });
    expect(decodeSwapInfo(0xff)).toEqual({ swapType: SwapType.NONE, imageNum: 0 });
    expect(decodeSwapInfo(0x07)).toEqual({ swapType: SwapType.NONE, imageNum: 0 });
  });
});
