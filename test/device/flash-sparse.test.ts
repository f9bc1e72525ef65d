// The flash is stored in sparse 4 KiB pages; it must behave exactly like a plain array of bytes:
// same operations, same contents, same refusals.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBoardFlash } from '../../src/device/boards/index.ts';
import { stm32f4_disco } from '../../src/device/boards/stm32f4_disco.ts';
import { Flash, type FlashSnapshot } from '../../src/device/flash.ts';

/** Sectors that straddle 4 KiB pages, and a size that ends inside a page. */
const SECTORS = [0x400, 0xc00, 0x2000, 0x1800, 0x100];
const SIZE = SECTORS.reduce((a, b) => a + b, 0);
const ALIGN = 4;

/** The dense reference: NOR rules on one Uint8Array, nothing clever. */
class DenseFlash {
  readonly bytes: Uint8Array;
  constructor(readonly erase: number) {
    this.bytes = new Uint8Array(SIZE).fill(erase);
  }
  write(offset: number, data: Uint8Array): boolean {
    for (let i = 0; i < data.length; i++) if (this.bytes[offset + i] !== this.erase) return false;
    this.bytes.set(data, offset);
    return true;
  }
  eraseSectors(first: number, count: number): { offset: number; length: number } {
    let offset = 0;
    for (let i = 0; i < first; i++) offset += SECTORS[i]!;
    let length = 0;
    for (let i = first; i < first + count; i++) length += SECTORS[i]!;
    this.bytes.fill(this.erase, offset, offset + length);
    return { offset, length };
  }
}

type Op =
  | { kind: 'write'; offset: number; length: number; value: number; seed: number }
  | { kind: 'erase'; first: number; count: number }
  | { kind: 'load'; offset: number; length: number; value: number }
  | { kind: 'snapshot' }
  | { kind: 'restore' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('write' as const),
    offset: fc.integer({ min: 0, max: SIZE / ALIGN - 1 }).map((w) => w * ALIGN),
    length: fc.integer({ min: 1, max: 0x1400 / ALIGN }).map((w) => w * ALIGN),
    value: fc.integer({ min: 0, max: 255 }),
    seed: fc.integer({ min: 0, max: 3 }),
  }),
  fc.integer({ min: 0, max: SECTORS.length - 1 }).chain((first) =>
    fc.record({
      kind: fc.constant('erase' as const),
      first: fc.constant(first),
      count: fc.integer({ min: 1, max: SECTORS.length - first }),
    }),
  ),
  fc.record({
    kind: fc.constant('load' as const),
    offset: fc.integer({ min: 0, max: SIZE - 1 }),
    length: fc.integer({ min: 1, max: 0x1200 }),
    value: fc.integer({ min: 0, max: 255 }),
  }),
  fc.constant({ kind: 'snapshot' as const }),
  fc.constant({ kind: 'restore' as const }),
);

/** Data for a write: a constant (often the erase value, which NOR lets be programmed later) or a ramp. */
function dataFor(op: { length: number; value: number; seed: number }): Uint8Array {
  const data = new Uint8Array(op.length);
  for (let i = 0; i < data.length; i++) data[i] = op.seed === 0 ? op.value : (op.value + i * op.seed) & 0xff;
  return data;
}

describe('sparse flash storage', () => {
  it('matches a dense byte array for any sequence of writes, erases, loads, snapshots and restores', () => {
    fc.assert(
      fc.property(fc.constantFrom(0xff, 0x00), fc.array(opArb, { maxLength: 40 }), (erase, ops) => {
        const flash = new Flash({ name: 'sparse', sectors: SECTORS, writeAlign: ALIGN, eraseValue: erase });
        const dense = new DenseFlash(erase);
        const snaps: { flash: FlashSnapshot; dense: Uint8Array }[] = [];
        for (const op of ops) {
          if (op.kind === 'write') {
            const length = Math.min(op.length, SIZE - op.offset);
            const data = dataFor({ ...op, length });
            const ok = dense.write(op.offset, data);
            if (ok) flash.write(op.offset, data);
            else expect(() => flash.write(op.offset, data)).toThrow(/write to unerased location/);
          } else if (op.kind === 'erase') {
            const { offset, length } = dense.eraseSectors(op.first, op.count);
            flash.erase(offset, length);
          } else if (op.kind === 'load') {
            const length = Math.min(op.length, SIZE - op.offset);
            const data = new Uint8Array(length).fill(op.value);
            dense.bytes.set(data, op.offset);
            flash.load(data, op.offset);
          } else if (op.kind === 'snapshot') {
            snaps.push({ flash: flash.snapshot(), dense: dense.bytes.slice() });
          } else {
            const snap = snaps.pop();
            if (!snap) continue;
            flash.restore(snap.flash);
            dense.bytes.set(snap.dense);
          }
          expect(Buffer.compare(flash.read(0, SIZE), dense.bytes)).toBe(0);
          expect(Buffer.compare(flash.contents(), dense.bytes)).toBe(0);
        }
        // Erased checks over ranges that cross pages, both ways.
        for (let start = 0; start < SIZE; start += 0x3fd) {
          const length = Math.min(0x1801, SIZE - start);
          const want = dense.bytes.subarray(start, start + length).every((b) => b === erase);
          expect(flash.isErased(start, length)).toBe(want);
        }
      }),
      { seed: 20261202, numRuns: 300 },
    );
  });

  it('holds only pages that were programmed: nothing when erased, a page or two for a small image', () => {
    const flash = createBoardFlash(stm32f4_disco);
    expect(flash.storedPages).toBe(0);
    flash.write(0x20000, new Uint8Array(5000).fill(0x12));
    expect(flash.storedPages).toBe(2);
    // Programming the erase value into an absent page stores nothing.
    flash.write(0x40000, new Uint8Array(0x1000).fill(0xff));
    expect(flash.storedPages).toBe(2);
    flash.erase(0x20000, 0x20000);
    expect(flash.storedPages).toBe(0);
  });

  it('keeps a snapshot intact while the flash changes after it (pages are copied on write)', () => {
    const flash = new Flash({ name: 'cow', sectors: [0x1000, 0x1000] });
    flash.write(0, Uint8Array.of(1, 2, 3));
    const snap = flash.snapshot();
    flash.erase(0, 0x1000);
    flash.write(0, Uint8Array.of(9));
    const later = flash.snapshot();
    flash.restore(snap);
    expect(flash.read(0, 3)).toEqual(Uint8Array.of(1, 2, 3));
    flash.erase(0, 0x1000);
    flash.write(1, Uint8Array.of(7));
    flash.restore(later);
    expect(flash.read(0, 2)).toEqual(Uint8Array.of(9, 0xff));
    flash.restore(snap);
    expect(flash.read(0, 3)).toEqual(Uint8Array.of(1, 2, 3));
  });
});
