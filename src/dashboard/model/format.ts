/**
 * Numbers as the dashboard shows them: byte counts, transfer rates, durations and hashes. Pure
 * functions (unit-tested in test/dashboard/format.test.ts).
 */

/** 6595 → "6.4 KiB"; under 1 KiB in bytes. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}

/** "1 byte", "2000 bytes": an exact count. */
export function byteCount(n: number): string {
  return n === 1 ? '1 byte' : `${n} bytes`;
}

/** Bytes per second in words ("12.3 KiB/s"); a dash while unknown. */
export function formatRate(bytesPerSecond: number | undefined): string {
  if (bytesPerSecond === undefined || !Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '–';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** 950 → "0.9 s", 75_000 → "1 min 15 s", 4_000_000 → "1 h 6 min"; a dash while unknown. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Whole percent of `done` out of `total`, clamped to 0..100 (0 while the total is unknown). */
export function percent(done: number, total: number): number {
  if (!(total > 0)) return 0;
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

/** The first `bytes` bytes of a hash as hex, with an ellipsis when cut. */
export function shortHash(hash: Uint8Array, bytes = 4): string {
  if (hash.length === 0) return 'none';
  return hash.length > bytes ? `${toHex(hash.subarray(0, bytes))}…` : toHex(hash);
}
