import { describe, expect, it } from 'vitest';
import { RateMeter } from '../../src/dashboard/model/rate.ts';

describe('RateMeter (upload speed and time left)', () => {
  it('knows nothing from a single sample', () => {
    const meter = new RateMeter();
    meter.add({ atMs: 0, bytes: 0 });
    expect(meter.estimate(1000)).toEqual({ bytesPerSecond: undefined, etaMs: undefined });
  });

  it('measures speed and the time left at that speed', () => {
    const meter = new RateMeter(3000);
    meter.add({ atMs: 0, bytes: 0 });
    meter.add({ atMs: 1000, bytes: 1000 });
    const e = meter.estimate(5000);
    expect(e.bytesPerSecond).toBeCloseTo(1000);
    expect(e.etaMs).toBeCloseTo(4000);
  });

  it('follows the recent speed: old samples leave the window', () => {
    const meter = new RateMeter(2000);
    // A slow start (the first chunk erases the slot), then 10 bytes per ms.
    meter.add({ atMs: 0, bytes: 0 });
    meter.add({ atMs: 5000, bytes: 100 });
    for (let t = 6000; t <= 10_000; t += 1000) meter.add({ atMs: t, bytes: 100 + (t - 5000) * 10 });
    const e = meter.estimate(1_000_000);
    expect(e.bytesPerSecond).toBeCloseTo(10_000);
  });

  it('says 0 left once done, and starts afresh when the bytes go back (a restart)', () => {
    const meter = new RateMeter();
    meter.add({ atMs: 0, bytes: 0 });
    meter.add({ atMs: 1000, bytes: 500 });
    expect(meter.estimate(500).etaMs).toBe(0);
    meter.add({ atMs: 1500, bytes: 100 });
    expect(meter.estimate(500).bytesPerSecond).toBeUndefined();
  });

  it('keeps a bounded number of samples', () => {
    const meter = new RateMeter(1_000_000, 8);
    for (let i = 0; i < 100; i++) meter.add({ atMs: i, bytes: i * 2 });
    expect((meter as unknown as { samples: unknown[] }).samples.length).toBeLessThanOrEqual(8);
    expect(meter.estimate(1000).bytesPerSecond).toBeCloseTo(2000);
  });
});
