import { describe, expect, it } from 'vitest';
import {
  byteCount,
  formatBytes,
  formatDuration,
  formatRate,
  percent,
  shortHash,
} from '../../src/dashboard/model/format.ts';

describe('dashboard number formatting', () => {
  it('writes byte counts in B, KiB and MiB', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(6595)).toBe('6.4 KiB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.00 MiB');
    expect(formatBytes(-1)).toBe('–');
  });

  it('writes exact counts with the right plural', () => {
    expect(byteCount(1)).toBe('1 byte');
    expect(byteCount(0)).toBe('0 bytes');
    expect(byteCount(2000)).toBe('2000 bytes');
  });

  it('writes a rate, or a dash while it is unknown or zero', () => {
    expect(formatRate(undefined)).toBe('–');
    expect(formatRate(0)).toBe('–');
    expect(formatRate(Number.POSITIVE_INFINITY)).toBe('–');
    expect(formatRate(11_520)).toBe('11.3 KiB/s');
  });

  it('writes durations in seconds, minutes and hours', () => {
    expect(formatDuration(950)).toBe('0.9 s');
    expect(formatDuration(12_400)).toBe('12 s');
    expect(formatDuration(75_000)).toBe('1 min 15 s');
    expect(formatDuration(4_000_000)).toBe('1 h 6 min');
    expect(formatDuration(undefined)).toBe('–');
  });

  it('clamps percentages and gives 0 for an unknown total', () => {
    expect(percent(50, 200)).toBe(25);
    expect(percent(300, 200)).toBe(100);
    expect(percent(5, 0)).toBe(0);
  });

  it('shortens hashes with an ellipsis only when cut', () => {
    expect(shortHash(new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x01]))).toBe('deadbeef…');
    expect(shortHash(new Uint8Array([0xab, 0xcd]))).toBe('abcd');
    expect(shortHash(new Uint8Array())).toBe('none');
  });
});
