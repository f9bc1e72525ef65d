// The fault plan of a fleet rehearsal: parsed in words, and handed out in exact, seeded shares.
import { describe, expect, it } from 'vitest';
import {
  describeFaultPlan,
  FaultPlanError,
  type FleetFault,
  faultFor,
  parseFaultPlan,
} from '../../src/fleet/faults.ts';

function counts(text: string, boards: number, seed?: number): Record<string, number> {
  const plan = parseFaultPlan(text, seed);
  const out: Record<string, number> = {};
  for (let i = 0; i < boards; i++) {
    const fault = faultFor(plan, i) ?? 'healthy';
    out[fault] = (out[fault] ?? 0) + 1;
  }
  return out;
}

describe('parseFaultPlan', () => {
  it('reads the shares ("%" optional) and a seed', () => {
    expect(parseFaultPlan('power-cut-swap=2%,image-refused=1,link-lost=0.5%, never-confirms=1%')).toEqual({
      percent: { 'power-cut-swap': 2, 'image-refused': 1, 'link-lost': 0.5, 'never-confirms': 1 },
      seed: 1,
    });
    expect(parseFaultPlan('link-lost=1%,seed=9').seed).toBe(9);
    expect(parseFaultPlan('link-lost=1%', 4).seed).toBe(4);
    expect(describeFaultPlan(parseFaultPlan('link-lost=1%,power-cut-swap=2%'))).toBe(
      'power-cut-swap 2%, link-lost 1% (seed 1)',
    );
  });

  it.each([
    [
      'power-cut=2%',
      /unknown fault "power-cut"; the faults are power-cut-swap, image-refused, link-lost, never-confirms/,
    ],
    ['link-lost=101%', /link-lost "101%" is not a percentage between 0 and 100/],
    ['link-lost=-1%', /link-lost "-1%" is not a percentage/],
    ['link-lost', /link-lost "" is not a percentage/],
    ['link-lost=1%,link-lost=2%', /gives "link-lost" twice/],
    ['link-lost=0.125%', /more than 2 decimals/],
    ['power-cut-swap=60%,image-refused=50%', /add up to 110%, more than every board/],
    ['seed=x', /seed "x" is not a whole number/],
  ])('refuses %s in words', (text, words) => {
    expect(() => parseFaultPlan(text)).toThrow(FaultPlanError);
    expect(() => parseFaultPlan(text)).toThrow(words);
  });
});

describe('faultFor', () => {
  const full = 'power-cut-swap=2%,image-refused=1%,link-lost=1%,never-confirms=1%';

  it('gives every fault exactly its share of 1,000 boards', () => {
    expect(counts(full, 1000)).toEqual({
      healthy: 950,
      'power-cut-swap': 20,
      'image-refused': 10,
      'link-lost': 10,
      'never-confirms': 10,
    });
    expect(counts('link-lost=0.25%', 10_000)).toEqual({ healthy: 9975, 'link-lost': 25 });
    expect(counts('power-cut-swap=50%,image-refused=50%', 200)).toEqual({
      'power-cut-swap': 100,
      'image-refused': 100,
    });
  });

  it('spreads each share, so a few boards get about their share too', () => {
    expect(counts('image-refused=10%', 10)).toEqual({ healthy: 9, 'image-refused': 1 });
    for (const n of [20, 37, 50, 63]) {
      const got = counts(full, n)['power-cut-swap'] ?? 0;
      expect(Math.abs(got - n * 0.02)).toBeLessThanOrEqual(1);
    }
  });

  it('is the same for the same seed and another for another seed', () => {
    const pick = (seed: number) => {
      const plan = parseFaultPlan(full, seed);
      return Array.from({ length: 300 }, (_, i) => faultFor(plan, i));
    };
    expect(pick(7)).toEqual(pick(7));
    expect(pick(7)).not.toEqual(pick(8));
    const none: (FleetFault | undefined)[] = Array.from({ length: 5 }, (_, i) =>
      faultFor(parseFaultPlan(''), i),
    );
    expect(none.every((f) => f === undefined)).toBe(true);
    expect(() => faultFor(parseFaultPlan(full), -1)).toThrow(/a board index is a whole number/);
  });
});
