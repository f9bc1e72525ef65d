import { describe, expect, it } from 'vitest';
import {
  describeLinkProfile,
  LinkProfileError,
  LinkShaper,
  MAX_HELD,
  parseLinkProfile,
  type Schedule,
} from '../../../src/device/transport/link-shaper.ts';

/** A clock the test moves by hand. */
function manualClock() {
  let now = 0;
  const timers: { at: number; run: () => void; cancelled: boolean }[] = [];
  const schedule: Schedule = (run, delayMs) => {
    const timer = { at: now + delayMs, run, cancelled: false };
    timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  };
  const advance = (ms: number) => {
    now += ms;
    for (const timer of timers.filter((t) => !t.cancelled && t.at <= now).sort((a, b) => a.at - b.at)) {
      timer.cancelled = true;
      timer.run();
    }
  };
  return { schedule, advance, now: () => now };
}

describe('--link profiles', () => {
  it('reads times in ms and shares in percent, with or without units', () => {
    expect(parseLinkProfile('latency=40ms,jitter=10,loss=1%,reorder=2.5,seed=7')).toEqual({
      latencyMs: 40,
      jitterMs: 10,
      loss: 0.01,
      reorder: 0.025,
      seed: 7,
    });
    expect(describeLinkProfile(parseLinkProfile('latency=40ms,loss=1%'))).toBe(
      'latency 40 ms ± 0 ms, loss 1%, reorder 0%, seed 1',
    );
  });

  it('refuses unknown keys, repeats and values out of range in words', () => {
    expect(() => parseLinkProfile('delay=40ms')).toThrow(
      new LinkProfileError(
        '--link: unknown key "delay"; known keys are latency, jitter, loss, reorder, seed.',
      ),
    );
    expect(() => parseLinkProfile('loss=1%,loss=2%')).toThrow(/gives "loss" twice/);
    expect(() => parseLinkProfile('loss=120%')).toThrow(/loss "120%" is not a percentage between 0 and 100/);
    expect(() => parseLinkProfile('latency=-3')).toThrow(/latency "-3" is not a time in ms/);
    expect(() => parseLinkProfile('latency=fast')).toThrow(/latency "fast"/);
    expect(() => parseLinkProfile('seed=x')).toThrow(/seed "x" is not a whole number/);
  });
});

describe('the shaped link', () => {
  it('delays each datagram by the latency within ± the jitter', () => {
    const clock = manualClock();
    const shaper = new LinkShaper(parseLinkProfile('latency=40,jitter=10,seed=3'), clock.schedule);
    const arrivals: number[] = [];
    for (let i = 0; i < 200; i++) shaper.send(i, () => arrivals.push(clock.now()));
    for (let t = 0; t < 60; t++) clock.advance(1);
    expect(arrivals).toHaveLength(200);
    expect(Math.min(...arrivals)).toBeGreaterThanOrEqual(30);
    expect(Math.max(...arrivals)).toBeLessThanOrEqual(50);
    expect(new Set(arrivals).size).toBeGreaterThan(10);
  });

  it('loses about the share asked for, the same ones for the same seed', () => {
    const run = (seed: number) => {
      const shaper = new LinkShaper(parseLinkProfile(`loss=5%,seed=${seed}`), manualClock().schedule);
      const got: number[] = [];
      for (let i = 0; i < 10_000; i++) shaper.send(i, (n) => got.push(n));
      return { got, stats: shaper.stats };
    };
    const first = run(11);
    expect(first.stats.lost).toBeGreaterThan(400);
    expect(first.stats.lost).toBeLessThan(600);
    expect(first.got).toHaveLength(10_000 - first.stats.lost);
    expect(run(11).got).toEqual(first.got);
    expect(run(12).got).not.toEqual(first.got);
  });

  it('lets later datagrams overtake held-back ones (reordering)', () => {
    const clock = manualClock();
    const shaper = new LinkShaper(parseLinkProfile('latency=10,reorder=20%,seed=5'), clock.schedule);
    const order: number[] = [];
    for (let i = 0; i < 100; i++) shaper.send(i, (n) => order.push(n));
    clock.advance(100);
    expect(order).toHaveLength(100);
    expect(order).not.toEqual([...order].sort((a, b) => a - b));
    expect(shaper.stats.reordered).toBeGreaterThan(5);
  });

  it('holds at most MAX_HELD datagrams; a burst beyond is dropped and counted', () => {
    const clock = manualClock();
    const shaper = new LinkShaper(parseLinkProfile('latency=100'), clock.schedule);
    for (let i = 0; i < MAX_HELD + 10; i++) shaper.send(i, () => undefined);
    expect(shaper.inFlight).toBe(MAX_HELD);
    expect(shaper.stats.overflowed).toBe(10);
    shaper.close();
    expect(shaper.inFlight).toBe(0);
  });
});
