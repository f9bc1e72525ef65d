/** A power cut from the page tears the flash operation whose time is being spent. */
import { describe, expect, it } from 'vitest';
import { Flash } from '../../../src/device/flash.ts';
import { FlashInFlight } from '../../../src/device/web/flash-in-flight.ts';

/** 4 sectors of 4 KiB, 85 ms per erase, 10 µs per byte programmed. */
function flash(): Flash {
  return new Flash({
    name: 'test',
    sectors: [4096, 4096, 4096, 4096],
    writeAlign: 4,
    timing: { eraseMsBySectorSize: { 4096: 85 }, programUsPerByte: 10, readUsPerByte: 0 },
  });
}

describe('FlashInFlight', () => {
  it('tears the write in flight, keeps the ones before it, undoes the ones after it', () => {
    let now = 1000;
    const device = flash();
    const tracker = new FlashInFlight(new Map([['flash0', device]]), 1, () => now);
    const a = new Uint8Array(1000).fill(0x11);
    const b = new Uint8Array(1000).fill(0x22);
    const c = new Uint8Array(1000).fill(0x33);
    // Each write takes 10 ms; all three are issued at once, so they occupy 1000..1030.
    device.write(0, a);
    device.write(1000, b);
    device.write(2000, c);
    now = 1015; // halfway through b
    const restored = tracker.cut(7, () => 0.5);
    expect(restored).toEqual([
      { device: 'flash0', offset: 1000, length: 1000 },
      { device: 'flash0', offset: 2000, length: 1000 },
    ]);
    expect(device.peek(0, 1000)).toEqual(a);
    const torn = device.peek(1000, 1000);
    const programmed = torn.findIndex((byte) => byte !== 0x22);
    expect(programmed).toBeGreaterThan(400);
    expect(programmed).toBeLessThan(600);
    expect(torn.subarray(programmed + 4).every((byte) => byte === 0xff)).toBe(true);
    expect(device.peek(2000, 1000).every((byte) => byte === 0xff)).toBe(true);
    expect(device.lastCut?.cut).toBe('torn-write');
    expect(device.isPoweredOff).toBe(true);
    expect(() => device.write(3000, new Uint8Array(4))).toThrow(/power cut/);
  });

  it('leaves a sector partly erased when the cut falls inside an erase', () => {
    let now = 0;
    const device = flash();
    device.write(4096, new Uint8Array(4096).fill(0));
    const tracker = new FlashInFlight(new Map([['flash0', device]]), 1, () => now);
    now = 500;
    device.erase(4096, 4096);
    now = 540; // about half of the 85 ms
    tracker.cut(3, () => 0.5);
    expect(device.lastCut?.cut).toBe('partial-erase');
    const sector = device.peek(4096, 4096);
    expect(sector.every((byte) => byte === 0xff)).toBe(false);
  });

  it('with nothing in flight, tears the next write or erase instead', () => {
    let now = 0;
    const device = flash();
    const tracker = new FlashInFlight(new Map([['flash0', device]]), 1, () => now);
    device.write(0, new Uint8Array(8).fill(1));
    now = 10_000; // long done
    expect(tracker.cut(1, () => 0.5)).toEqual([]);
    expect(device.peek(0, 8)).toEqual(new Uint8Array(8).fill(1));
    expect(() => device.write(16, new Uint8Array(1000).fill(2))).toThrow(/power cut inside/);
  });

  it('with no flash time spent (scale 0) nothing is ever in flight', () => {
    const device = flash();
    const tracker = new FlashInFlight(new Map([['flash0', device]]), 0, () => 0);
    device.write(0, new Uint8Array(1000).fill(1));
    expect(tracker.cut(1, () => 0.5)).toEqual([]);
    expect(device.peek(0, 1000).every((byte) => byte === 1)).toBe(true);
  });
});
