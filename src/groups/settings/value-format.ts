/**
 * How the CLI shows and takes settings values, which the device stores as raw bytes: text (UTF-8),
 * hex, or a little-endian integer (the byte order of every board zdfu models), as an app's
 * variable holds it. Pure.
 */

export const VALUE_FORMATS = ['auto', 'text', 'hex', 'u8', 'u16', 'u32', 'i8', 'i16', 'i32'] as const;
export type ValueFormat = (typeof VALUE_FORMATS)[number];

const INT_WIDTH: Readonly<Record<string, { bytes: number; signed: boolean }>> = {
  u8: { bytes: 1, signed: false },
  u16: { bytes: 2, signed: false },
  u32: { bytes: 4, signed: false },
  i8: { bytes: 1, signed: true },
  i16: { bytes: 2, signed: true },
  i32: { bytes: 4, signed: true },
};

export function parseValueFormat(text: string): ValueFormat {
  if ((VALUE_FORMATS as readonly string[]).includes(text)) return text as ValueFormat;
  throw new RangeError(`Unknown value format "${text}"; use one of ${VALUE_FORMATS.join(', ')}.`);
}

/** Printable UTF-8 text (tabs and newlines allowed)? */
function asText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we look for
  return /[\u0000-\u0008\u000b-\u001f\u007f]/.test(text) ? undefined : text;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The value in `format`; "auto" is text when the bytes are printable UTF-8, else hex. */
export function formatValue(bytes: Uint8Array, format: ValueFormat): string {
  if (format === 'hex') return hex(bytes);
  if (format === 'text') return asText(bytes) ?? JSON.stringify(new TextDecoder().decode(bytes));
  if (format === 'auto') return asText(bytes) ?? hex(bytes);
  const width = INT_WIDTH[format]!;
  if (bytes.length !== width.bytes) {
    throw new RangeError(
      `The value is ${bytes.length} byte${bytes.length === 1 ? '' : 's'} (${hex(bytes) || 'empty'}), not a ${format} (${width.bytes} bytes).`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (width.bytes === 1) return String(width.signed ? view.getInt8(0) : view.getUint8(0));
  if (width.bytes === 2) return String(width.signed ? view.getInt16(0, true) : view.getUint16(0, true));
  return String(width.signed ? view.getInt32(0, true) : view.getUint32(0, true));
}

/** The bytes for `text` in `format` ("auto" and "text" are UTF-8). */
export function parseValue(text: string, format: ValueFormat): Uint8Array {
  if (format === 'auto' || format === 'text') return new TextEncoder().encode(text);
  if (format === 'hex') {
    const clean = text.trim().toLowerCase().replace(/^0x/, '');
    const bad = /[^0-9a-f]/.exec(clean);
    if (bad) throw new RangeError(`The value "${text}" is not hexadecimal ("${bad[0]}" is not a hex digit).`);
    if (clean.length % 2 !== 0) {
      throw new RangeError(`The value "${text}" has an odd number of hex digits (${clean.length}).`);
    }
    return Uint8Array.from({ length: clean.length / 2 }, (_, i) =>
      Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16),
    );
  }
  const width = INT_WIDTH[format]!;
  if (!/^-?\d+$/.test(text.trim()))
    throw new RangeError(`The value "${text}" is not an integer for ${format}.`);
  const value = Number(text.trim());
  const bits = width.bytes * 8;
  const min = width.signed ? -(2 ** (bits - 1)) : 0;
  const max = width.signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  if (value < min || value > max)
    throw new RangeError(`The value ${text} is outside ${format} (${min} to ${max}).`);
  const out = new Uint8Array(width.bytes);
  const view = new DataView(out.buffer);
  if (width.bytes === 1) view.setUint8(0, value & 0xff);
  else if (width.bytes === 2) view.setUint16(0, value & 0xffff, true);
  else view.setUint32(0, value >>> 0, true);
  return out;
}
