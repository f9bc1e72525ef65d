/**
 * The record format of Zephyr's settings file backend (subsys/settings/src/settings_line.c, v3.5.0,
 * with CONFIG_SETTINGS_ENCODE_LEN, which CONFIG_SETTINGS_FILE selects): each record is a 16-bit
 * little-endian length, then `name=value` with the value as raw bytes (no base64 since Zephyr 2.x).
 * A record with an empty value is a deletion. Pure: no Node imports.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EQUALS = 0x3d;

/** SETTINGS_MAX_NAME_LEN (8 * SETTINGS_MAX_DIR_DEPTH = 64) plus SETTINGS_EXTRA_LEN. */
export const SETTINGS_MAX_NAME_LEN = 64;
/** SETTINGS_MAX_VAL_LEN (settings.h): the largest value a record may carry. */
export const SETTINGS_MAX_VAL_LEN = 256;

export interface SettingsRecord {
  readonly name: string;
  /** Empty for a deletion record. */
  readonly value: Uint8Array;
  /** Byte offset of the record (its length field) in the file. */
  readonly offset: number;
  /** Bytes the record takes, length field included. */
  readonly size: number;
}

/** settings_line_write: the bytes of one record. */
export function encodeRecord(name: string, value: Uint8Array): Uint8Array {
  const nameBytes = encoder.encode(name);
  const length = nameBytes.length + 1 + value.length;
  if (length > 0xffff)
    throw new RangeError(`settings record "${name}" is ${length} bytes; at most 65535 fit`);
  const out = new Uint8Array(2 + length);
  out[0] = length & 0xff;
  out[1] = length >> 8;
  out.set(nameBytes, 2);
  out[2 + nameBytes.length] = EQUALS;
  out.set(value, 3 + nameBytes.length);
  return out;
}

/**
 * settings_next_line_ctx + settings_line_name_read over a whole file: every record in order. Stops
 * at a zero length, a record running past the end, or one without '=' in the name's reach, as
 * settings_file_load_priv stops reading there (the rest is treated as not written).
 */
export function decodeRecords(file: Uint8Array): SettingsRecord[] {
  const records: SettingsRecord[] = [];
  let offset = 0;
  while (offset + 2 <= file.length) {
    const length = file[offset]! | (file[offset + 1]! << 8);
    if (length === 0 || offset + 2 + length > file.length) break;
    const body = file.subarray(offset + 2, offset + 2 + length);
    const reach = Math.min(body.length, SETTINGS_MAX_NAME_LEN + 1);
    const equals = body.subarray(0, reach).indexOf(EQUALS);
    if (equals <= 0) break;
    records.push({
      name: decoder.decode(body.subarray(0, equals)),
      value: body.slice(equals + 1),
      offset,
      size: 2 + length,
    });
    offset += 2 + length;
  }
  return records;
}
