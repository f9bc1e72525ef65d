// What a NOR flash holds when the power fails in the middle of a program or an erase.
// Everything undefined on a real chip is decided here by a seeded generator, so a cut is
// reproducible from its plan (mutation number, fraction, seed).
//
// Programming only moves bits away from the erase value (1 → 0 on a 0xff chip), erasing only moves
// them back. So a half-programmed cell holds the old value with SOME of the new value's bits
// applied: old ^ ((old ^ new) & mask), never a bit the write did not ask for.
import { seededRandom } from '../util/seeded-random.ts';

/** Where inside an operation the power fails; fraction 0 = at its very start, → 1 = at its end. */
export interface CutInside {
  fraction: number;
  /** Seeds every undefined choice (which bits made it, which erase phase). */
  seed: number;
}

/** What became of the write-block-size word being programmed when the power failed. */
export type TornWord = 'old' | 'new' | 'partial';

/**
 * How an interrupted erase leaves the sector it was working on:
 * - 'bits-partly-erased': every cell somewhere between programmed and erased (the chip erases the
 *   whole sector at once with repeated pulses; STM32 RM0090, SPI NOR sector erase);
 * - 'prefix-erased': erased from its start up to the cut, the rest untouched (a driver or chip
 *   erasing the sector in smaller units, low addresses first);
 * - 'pre-programmed': programmed to the non-erase value up to the cut, the rest untouched (NOR
 *   embedded erase algorithms first program every cell so none is over-erased, then erase).
 */
export type PartialEraseMode = 'bits-partly-erased' | 'prefix-erased' | 'pre-programmed';

export type CutDetail =
  | {
      kind: 'torn-write';
      /** Bytes fully programmed, from the start of the write. */
      programmed: number;
      /** Absolute offset of the word in flight. */
      wordOffset: number;
      word: TornWord;
    }
  | {
      kind: 'partial-erase';
      /** Absolute offset and size of the sector in flight (earlier sectors of the erase are erased). */
      sectorOffset: number;
      sectorSize: number;
      /** Bytes of that sector reached by the cut (the others are untouched, or erased by chance). */
      reached: number;
      mode: PartialEraseMode;
    };

/** Seeded so sweeps repeat exactly (one generator for the whole project). */
export { seededRandom };

const TORN_WORDS: readonly TornWord[] = ['old', 'new', 'partial'];
const ERASE_MODES: readonly PartialEraseMode[] = ['bits-partly-erased', 'prefix-erased', 'pre-programmed'];

/** A random byte whose bits are each set with probability p. */
function maskByte(random: () => number, p: number): number {
  if (p >= 1) return 0xff;
  if (p <= 0) return 0;
  if (p === 0.5) return Math.floor(random() * 256);
  let m = 0;
  for (let bit = 0; bit < 8; bit++) if (random() < p) m |= 1 << bit;
  return m;
}

/**
 * The bytes a write of `data` over `old` leaves when cut `inside` it. Words are programmed in
 * address order (Zephyr's flash drivers loop over write blocks); the word in flight is one of old,
 * new, or partly programmed, chosen by the seed. A partial word always differs from both when the
 * word changes more than one bit; when it changes exactly one bit, 'partial' falls back to old.
 */
export function tearWrite(
  old: Uint8Array,
  data: Uint8Array,
  writeAlign: number,
  inside: CutInside,
): { bytes: Uint8Array; programmed: number; word: TornWord } {
  const random = seededRandom(inside.seed);
  const words = data.length / writeAlign;
  const k = Math.min(words - 1, Math.floor(clampFraction(inside.fraction) * words));
  const programmed = k * writeAlign;
  const word = TORN_WORDS[Math.floor(random() * TORN_WORDS.length)]!;
  const bytes = old.slice();
  bytes.set(data.subarray(0, programmed));
  const from = programmed;
  const to = programmed + writeAlign;
  if (word === 'new') bytes.set(data.subarray(from, to), from);
  else if (word === 'partial') {
    const flipping = [];
    for (let i = from; i < to; i++)
      for (let bit = 0; bit < 8; bit++)
        if ((old[i]! ^ data[i]!) & (1 << bit)) flipping.push([i, bit] as const);
    if (flipping.length >= 2) {
      // Apply a random strict, non-empty subset of the bits the write changes.
      const chosen = new Set<number>();
      const count = 1 + Math.floor(random() * (flipping.length - 1));
      while (chosen.size < count) chosen.add(Math.floor(random() * flipping.length));
      for (const index of chosen) {
        const [i, bit] = flipping[index]!;
        bytes[i] = bytes[i]! ^ (1 << bit);
      }
    }
  }
  return { bytes, programmed, word };
}

/**
 * One sector's bytes after an erase cut `reached` bytes into it (by address for the prefix modes;
 * as the share of erase time spent for 'bits-partly-erased', where each programmed bit has reached
 * the erased state with that probability).
 */
export function tearErase(
  old: Uint8Array,
  eraseValue: number,
  reached: number,
  mode: PartialEraseMode,
  random: () => number,
): Uint8Array {
  const out = old.slice();
  if (mode === 'prefix-erased') out.fill(eraseValue, 0, reached);
  else if (mode === 'pre-programmed') out.fill(eraseValue ^ 0xff, 0, reached);
  else {
    const p = reached / old.length;
    for (let i = 0; i < out.length; i++) {
      const differs = out[i]! ^ eraseValue;
      if (differs !== 0) out[i] = out[i]! ^ (differs & maskByte(random, p));
    }
  }
  return out;
}

export function pickEraseMode(random: () => number): PartialEraseMode {
  return ERASE_MODES[Math.floor(random() * ERASE_MODES.length)]!;
}

export function clampFraction(f: number): number {
  if (!Number.isFinite(f) || f < 0) return 0;
  return f >= 1 ? 1 - Number.EPSILON : f;
}
