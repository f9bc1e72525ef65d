// Power cuts inside flash operations: torn writes and partial erases follow NOR physics
// (programming only moves bits away from the erase value, erasing only back), are reproducible
// from their seed, and leave the flash off until powered on.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Flash, FlashError, type FlashOperation, PowerCut } from '../../src/device/flash.ts';
import { persistFlash } from '../../src/device/io/flash-file.ts';
import { seededBytes } from '../../src/util/seeded-random.ts';

const SEED = 20261202;

function flashOf(writeAlign: number, eraseValue = 0xff): Flash {
  return new Flash({ name: 't', sectors: [0x400, 0x400, 0x800, 0x1000], writeAlign, eraseValue });
}

function cutError(run: () => void): PowerCut {
  try {
    run();
  } catch (error) {
    if (error instanceof PowerCut) return error;
    throw error;
  }
  throw new Error('the operation was not cut');
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

const noise = seededBytes;

/** No bit moved away from `before` except toward `target` (the value the operation drives it to). */
function onlyTowards(before: number, after: number, target: number): boolean {
  return ((after ^ before) & ~(target ^ before) & 0xff) === 0;
}

describe('torn writes', () => {
  it('program the words before the cut, leave the word in flight old, new or partly programmed, and nothing after', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 4, 8),
        fc.constantFrom(0xff, 0x00),
        fc.integer({ min: 1, max: 64 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer(),
        fc.uint8Array({ minLength: 512, maxLength: 512 }),
        (align, erase, words, fraction, seed, noise) => {
          const f = flashOf(align, erase);
          const data = noise.subarray(0, words * align);
          const at = 0x400 + align * 3;
          f.cutPower({ mutation: 1, inside: { fraction, seed } });
          const cut = cutError(() => f.write(at, data));
          expect(cut.cut).toBe('torn-write');
          expect(cut.mutationNumber).toBe(1);
          expect(f.isPoweredOff).toBe(true);
          expect(() => f.read(0, 1)).toThrow(PowerCut);
          f.powerOn();
          const got = f.read(at, data.length);
          const detail = cut.detail!;
          if (detail.kind !== 'torn-write') throw new Error('wrong detail');
          const k = detail.programmed;
          expect(k % align).toBe(0);
          expect(k).toBe(Math.min(words - 1, Math.floor(fraction * words)) * align);
          expect(same(got.subarray(0, k), data.subarray(0, k))).toBe(true);
          expect(got.subarray(k + align).every((b) => b === erase)).toBe(true);
          const word = got.subarray(k, k + align);
          const wanted = data.subarray(k, k + align);
          for (let i = 0; i < align; i++) expect(onlyTowards(erase, word[i]!, wanted[i]!)).toBe(true);
          const isOld = word.every((b) => b === erase);
          const isNew = word.every((b, i) => b === wanted[i]);
          if (detail.word === 'old') expect(isOld).toBe(true);
          if (detail.word === 'new') expect(isNew).toBe(true);
          let flips = 0;
          for (const b of wanted) for (let x = (b ^ erase) & 0xff; x; x &= x - 1) flips++;
          if (detail.word === 'partial' && flips >= 2) expect(isOld || isNew).toBe(false);
          expect(f.mutations).toBe(1);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('picks old, new and partial words over many seeds, and repeats exactly for one seed', () => {
    const kinds = new Set<string>();
    const data = new Uint8Array(16).fill(0x00);
    const results: string[] = [];
    for (let seed = 0; seed < 60; seed++) {
      const f = flashOf(4);
      f.cutPower({ mutation: 1, inside: { fraction: 0.5, seed } });
      const cut = cutError(() => f.write(0, data));
      if (cut.detail?.kind === 'torn-write') kinds.add(cut.detail.word);
      f.powerOn();
      results.push(Buffer.from(f.read(0, 16)).toString('hex'));
    }
    expect([...kinds].sort()).toEqual(['new', 'old', 'partial']);
    const again = flashOf(4);
    again.cutPower({ mutation: 1, inside: { fraction: 0.5, seed: 7 } });
    cutError(() => again.write(0, data));
    again.powerOn();
    expect(Buffer.from(again.read(0, 16)).toString('hex')).toBe(results[7]);
  });

  it('leaves the torn word unwritable until erased, as MCUboot finds it after the reset', () => {
    const f = flashOf(1);
    f.cutPower({ mutation: 2, inside: { fraction: 0.5, seed: 1 } });
    f.write(0, Uint8Array.of(1));
    const cut = cutError(() => f.write(0x10, new Uint8Array(8)));
    expect(cut.message).toMatch(
      /^power cut inside flash operation #2 \(write at 0x10\): 4 bytes programmed, word at 0x14 left/,
    );
    f.powerOn();
    expect(() => f.write(0x10, new Uint8Array(8))).toThrow(FlashError);
    f.erase(0, 0x400);
    f.write(0x10, new Uint8Array(8));
  });

  it('refuses a cut plan outside [0, 1) or with a fractional seed', () => {
    const f = flashOf(1);
    expect(() => f.cutPower({ mutation: 1, inside: { fraction: 1, seed: 0 } })).toThrow(
      /fraction in \[0, 1\) \(got 1\)/,
    );
    expect(() => f.cutPower({ mutation: 1, inside: { fraction: 0.5, seed: 0.5 } })).toThrow(
      /seed must be an integer/,
    );
    expect(() => f.cutPower({ mutation: 0 })).toThrow(/≥ 1/);
  });
});

describe('partial erases', () => {
  it('erase the sectors before the cut, leave the ones after untouched, and the one in flight as the mode says', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0xff, 0x00),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer(),
        fc.integer(),
        (erase, fraction, seed, fillSeed) => {
          const f = flashOf(1, erase);
          f.load(noise(0x2000, fillSeed));
          const before = f.read(0, f.size);
          f.cutPower({ mutation: 1, inside: { fraction, seed } });
          // Three sectors: 0x400 at 0x400, 0x800 at 0x800, 0x1000 at 0x1000.
          const cut = cutError(() => f.erase(0x400, 0x1c00));
          f.powerOn();
          const d = cut.detail!;
          if (d.kind !== 'partial-erase') throw new Error('wrong detail');
          const at = 0x400 + Math.floor(fraction * 0x1c00);
          expect(d.sectorOffset <= at && at < d.sectorOffset + d.sectorSize).toBe(true);
          expect(d.reached).toBe(at - d.sectorOffset);
          const after = f.read(0, f.size);
          expect(same(after.subarray(0, 0x400), before.subarray(0, 0x400))).toBe(true);
          expect(after.subarray(0x400, d.sectorOffset).every((b) => b === erase)).toBe(true);
          const end = d.sectorOffset + d.sectorSize;
          expect(same(after.subarray(end), before.subarray(end))).toBe(true);
          const old = before.subarray(d.sectorOffset, end);
          const now = after.subarray(d.sectorOffset, end);
          if (d.mode === 'prefix-erased') {
            expect(now.subarray(0, d.reached).every((b) => b === erase)).toBe(true);
            expect(same(now.subarray(d.reached), old.subarray(d.reached))).toBe(true);
          } else if (d.mode === 'pre-programmed') {
            expect(now.subarray(0, d.reached).every((b) => b === (erase ^ 0xff))).toBe(true);
            expect(same(now.subarray(d.reached), old.subarray(d.reached))).toBe(true);
          } else {
            expect(now.every((b, i) => onlyTowards(old[i]!, b, erase))).toBe(true);
          }
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('half-way through a 4 KiB sector, partly erased bits land near half of the programmed ones', () => {
    let modeSeed = 0;
    for (; modeSeed < 50; modeSeed++) {
      const f = flashOf(1);
      f.load(new Uint8Array(0x1000), 0x1000);
      f.cutPower({ mutation: 1, inside: { fraction: 0.5, seed: modeSeed } });
      const cut = cutError(() => f.erase(0x1000, 0x1000));
      if (cut.detail?.kind !== 'partial-erase' || cut.detail.mode !== 'bits-partly-erased') continue;
      f.powerOn();
      let set = 0;
      for (const b of f.read(0x1000, 0x1000)) for (let x = b; x; x &= x - 1) set++;
      const share = set / (0x1000 * 8);
      expect(share).toBeGreaterThan(0.45);
      expect(share).toBeLessThan(0.55);
      return;
    }
    throw new Error('no seed picked bits-partly-erased');
  });

  it('reports the cut to observers with what the range holds, and a flash file keeps exactly that', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdfu-tear-'));
    try {
      const f = flashOf(4);
      const file = persistFlash(f, join(dir, 'f.flash'));
      f.write(0x800, new Uint8Array(0x800).fill(0x5a));
      const ops: FlashOperation[] = [];
      f.onOperation((op) => ops.push(op));
      f.cutPower({ mutation: 2, inside: { fraction: 0.3, seed: 3 } });
      f.write(0x10, new Uint8Array(0x20).fill(0x11));
      cutError(() => f.erase(0x800, 0x800));
      f.powerOn();
      f.cutPower({ mutation: 1, inside: { fraction: 0.6, seed: 4 } });
      cutError(() => f.write(0x40, new Uint8Array(0x40).fill(0x22)));
      f.powerOn();
      file.close();
      expect(ops.map((op) => [op.kind, op.cut?.kind])).toEqual([
        ['write', undefined],
        ['erase', 'partial-erase'],
        ['write', 'torn-write'],
      ]);
      expect(new Uint8Array(readFileSync(join(dir, 'f.flash')))).toEqual(f.contents());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
