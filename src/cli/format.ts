/**
 * Text and JSON renderings of command results, laid out like Go mcumgr's output so scripts and
 * habits carry over. Pure functions of typed responses (no I/O), so they are unit-tested directly.
 */
import { imageFlags } from '../client/explain.ts';
import type { ConnProfile } from './profiles.ts';

export interface ImageSlotView {
  readonly image?: number;
  readonly slot: number;
  readonly version: string;
  readonly hash: Uint8Array;
  readonly bootable: boolean;
  readonly pending: boolean;
  readonly confirmed: boolean;
  readonly active: boolean;
  readonly permanent: boolean;
}

export interface ImageStateView {
  readonly images: readonly ImageSlotView[];
  readonly splitStatus?: number;
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

export function fromHex(text: string, what = 'hash'): Uint8Array {
  const clean = text.trim().toLowerCase();
  if (clean.length === 0) throw new RangeError(`The ${what} is empty.`);
  const bad = /[^0-9a-f]/.exec(clean);
  if (bad !== null) {
    throw new RangeError(`The ${what} "${text}" is not hexadecimal ("${bad[0]}" is not a hex digit).`);
  }
  if (clean.length % 2 !== 0) {
    throw new RangeError(`The ${what} "${text}" has an odd number of hex digits (${clean.length}).`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export { imageFlags };

const SPLIT_STATUS_NAMES: Readonly<Record<number, string>> = { 0: 'N/A', 1: 'non-matching', 2: 'matching' };

export function formatImageList(state: ImageStateView): string {
  const lines = ['Images:'];
  for (const slot of state.images) {
    lines.push(` image=${slot.image ?? 0} slot=${slot.slot}`);
    lines.push(`    version: ${slot.version}`);
    lines.push(`    bootable: ${slot.bootable}`);
    lines.push(`    flags: ${imageFlags(slot)}`);
    lines.push(`    hash: ${slot.hash.length === 0 ? 'Unavailable' : toHex(slot.hash)}`);
  }
  const split = state.splitStatus ?? 0;
  lines.push(`Split status: ${SPLIT_STATUS_NAMES[split] ?? 'Unknown!'} (${split})`);
  return `${lines.join('\n')}\n`;
}

export function formatStatList(groups: readonly string[]): string {
  if (groups.length === 0) return 'stat groups: none\n';
  const sorted = [...groups].sort();
  return `stat groups:\n${sorted.map((g) => `    ${g}\n`).join('')}`;
}

export function formatStatShow(stat: {
  readonly name: string;
  readonly fields: Readonly<Record<string, number>>;
}): string {
  const names = Object.keys(stat.fields).sort();
  const body =
    names.length === 0
      ? '    (empty)\n'
      : names.map((n) => `${String(stat.fields[n]).padStart(10)} ${n}\n`).join('');
  return `stat group: ${stat.name}\n${body}`;
}

export function formatParams(params: { readonly buf_size: number; readonly buf_count: number }): string {
  return `buf_size: ${params.buf_size}\nbuf_count: ${params.buf_count}\n`;
}

export function formatProfiles(profiles: readonly ConnProfile[]): string {
  if (profiles.length === 0) return 'No connection profiles found!\n';
  return `Connection profiles:\n${profiles.map((p) => `  ${p.name}: type=${p.type}, connstring='${p.connstring}'\n`).join('')}`;
}

export function formatRate(bytesPerSecond: number): string {
  if (bytesPerSecond >= 1024 * 1024) return `${(bytesPerSecond / (1024 * 1024)).toFixed(2)} MiB/s`;
  if (bytesPerSecond >= 1024) return `${(bytesPerSecond / 1024).toFixed(1)} KiB/s`;
  return `${bytesPerSecond.toFixed(0)} B/s`;
}

export function formatUploadSummary(result: {
  readonly total: number;
  readonly elapsedMs: number;
  readonly version: string | undefined;
  readonly imageHash: Uint8Array | undefined;
  /** Bytes this run sent and the offset it resumed at (an earlier upload's bytes are not counted). */
  readonly sentBytes: number;
  readonly resumedFrom: number;
}): string {
  const seconds = result.elapsedMs / 1000;
  const rate = seconds > 0 ? result.sentBytes / seconds : 0;
  const what = result.version !== undefined ? `image ${result.version}` : 'file';
  const hash = result.imageHash !== undefined ? `, hash ${toHex(result.imageHash)}` : '';
  if (result.resumedFrom >= result.total) {
    return `Uploaded ${what}: the device already held all ${result.total} bytes, nothing sent${hash}\nDone\n`;
  }
  const sent =
    result.resumedFrom > 0
      ? `${result.sentBytes} of ${result.total} bytes (resumed at byte ${result.resumedFrom}, where an earlier upload stopped)`
      : `${result.total} bytes`;
  return `Uploaded ${what}: ${sent} in ${seconds.toFixed(1)} s (${formatRate(rate)})${hash}\nDone\n`;
}

/** Makes a result JSON-friendly: byte strings become hex, bigints become numbers or strings. */
export function jsonValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return toHex(value);
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (Array.isArray(value)) return value.map(jsonValue);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = jsonValue(item);
    return out;
  }
  return value;
}

export function formatJson(value: unknown): string {
  return `${JSON.stringify(jsonValue(value), null, 2)}\n`;
}

/**
 * A message as a CLI sentence: a capital first letter and a closing full stop. A leading name
 * spelled with a lowercase first letter (hawkBit) stays as it is written.
 */
export function sentence(text: string): string {
  const head = /^[a-z]+[A-Z]/.test(text) ? text.charAt(0) : text.charAt(0).toUpperCase();
  return head + text.slice(1).replace(/([^.])$/, '$1.');
}
