/**
 * The 8-byte SMP header: byte 0 = (version << 3) | op, flags, payload length (BE u16),
 * group (BE u16), sequence number, command id.
 */
import { SmpProtocolError } from './errors.ts';

export const SMP_HEADER_SIZE = 8;

export enum SmpOp {
  Read = 0,
  ReadResponse = 1,
  Write = 2,
  WriteResponse = 3,
}

/** 1 = original (legacy) protocol, wire bits 0b00; 2 = SMP v2, wire bits 0b01. */
export type SmpVersion = 1 | 2;

export interface SmpHeader {
  readonly version: SmpVersion;
  readonly op: SmpOp;
  readonly flags: number;
  /** Payload length only; the header is not counted. */
  readonly length: number;
  readonly group: number;
  readonly sequence: number;
  readonly command: number;
}

/** Header fields exactly as on the wire, without validation (a server must answer odd values). */
export interface RawSmpHeader {
  readonly reserved: number;
  readonly versionBits: number;
  readonly op: number;
  readonly flags: number;
  readonly length: number;
  readonly group: number;
  readonly sequence: number;
  readonly command: number;
}

/** A read request is answered with a read response, anything else with a write response. */
export function responseOpFor(op: SmpOp): SmpOp {
  return op === SmpOp.Read ? SmpOp.ReadResponse : SmpOp.WriteResponse;
}

export function isResponseOp(op: SmpOp): boolean {
  return op === SmpOp.ReadResponse || op === SmpOp.WriteResponse;
}

function checkRange(field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`SMP header ${field} must be an integer 0..${max}, got ${value}`);
  }
}

export function encodeHeader(header: SmpHeader): Uint8Array {
  if (header.version !== 1 && header.version !== 2) {
    throw new RangeError(`SMP header version must be 1 or 2, got ${String(header.version)}`);
  }
  checkRange('op', header.op, 3);
  checkRange('flags', header.flags, 0xff);
  checkRange('length', header.length, 0xffff);
  checkRange('group', header.group, 0xffff);
  checkRange('sequence', header.sequence, 0xff);
  checkRange('command', header.command, 0xff);
  const bytes = new Uint8Array(SMP_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  bytes[0] = ((header.version - 1) << 3) | header.op;
  bytes[1] = header.flags;
  view.setUint16(2, header.length);
  view.setUint16(4, header.group);
  bytes[6] = header.sequence;
  bytes[7] = header.command;
  return bytes;
}

export function decodeRawHeader(bytes: Uint8Array, offset = 0): RawSmpHeader {
  if (bytes.length - offset < SMP_HEADER_SIZE) {
    throw new SmpProtocolError(
      `SMP packet too short: ${bytes.length - offset} bytes, the header alone needs ${SMP_HEADER_SIZE}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, SMP_HEADER_SIZE);
  const first = view.getUint8(0);
  return {
    reserved: first >> 5,
    versionBits: (first >> 3) & 0b11,
    op: first & 0b111,
    flags: view.getUint8(1),
    length: view.getUint16(2),
    group: view.getUint16(4),
    sequence: view.getUint8(6),
    command: view.getUint8(7),
  };
}

/** Strict decode: rejects reserved bits, unknown versions and ops 4..7 with a clear message. */
export function decodeHeader(bytes: Uint8Array, offset = 0): SmpHeader {
  const raw = decodeRawHeader(bytes, offset);
  if (raw.reserved !== 0) {
    throw new SmpProtocolError(`SMP header reserved bits are set (byte 0 = 0x${hex(bytes[offset] ?? 0)})`);
  }
  if (raw.versionBits > 1) {
    throw new SmpProtocolError(
      `SMP header has unsupported version bits ${raw.versionBits} (only v1 and v2 exist)`,
    );
  }
  if (raw.op > 3) {
    throw new SmpProtocolError(`SMP header has undefined op ${raw.op} (valid: 0..3)`);
  }
  return {
    version: raw.versionBits === 0 ? 1 : 2,
    op: raw.op,
    flags: raw.flags,
    length: raw.length,
    group: raw.group,
    sequence: raw.sequence,
    command: raw.command,
  };
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
