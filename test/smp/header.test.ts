import { describe, expect, it } from 'vitest';
import { SmpProtocolError } from '../../src/smp/errors.ts';
import {
  decodeHeader,
  decodeRawHeader,
  encodeHeader,
  responseOpFor,
  type SmpHeader,
  SmpOp,
} from '../../src/smp/header.ts';

describe('SMP header', () => {
  it('encodes the v2 echo header of the worked example', () => {
    const header: SmpHeader = {
      version: 2,
      op: SmpOp.Write,
      flags: 0,
      length: 9,
      group: 0,
      sequence: 0x42,
      command: 0,
    };
    expect([...encodeHeader(header)]).toEqual([0x0a, 0x00, 0x00, 0x09, 0x00, 0x00, 0x42, 0x00]);
    expect(encodeHeader({ ...header, version: 1 })[0]).toBe(0x02);
    expect(encodeHeader({ ...header, op: SmpOp.Read })[0]).toBe(0x08);
  });

  it('round-trips every op and version with big-endian fields', () => {
    for (const version of [1, 2] as const) {
      for (const op of [SmpOp.Read, SmpOp.ReadResponse, SmpOp.Write, SmpOp.WriteResponse]) {
        const header: SmpHeader = {
          version,
          op,
          flags: 0,
          length: 0x1234,
          group: 0xabcd,
          sequence: 255,
          command: 7,
        };
        const bytes = encodeHeader(header);
        expect(bytes[2]).toBe(0x12);
        expect(bytes[4]).toBe(0xab);
        expect(decodeHeader(bytes)).toEqual(header);
      }
    }
  });

  it('maps request ops to response ops', () => {
    expect(responseOpFor(SmpOp.Read)).toBe(SmpOp.ReadResponse);
    expect(responseOpFor(SmpOp.Write)).toBe(SmpOp.WriteResponse);
  });

  it('rejects bad input with clear errors', () => {
    const base: SmpHeader = {
      version: 2,
      op: SmpOp.Read,
      flags: 0,
      length: 0,
      group: 0,
      sequence: 0,
      command: 0,
    };
    expect(() => encodeHeader({ ...base, sequence: 256 })).toThrow(
      /sequence must be an integer 0..255, got 256/,
    );
    expect(() => encodeHeader({ ...base, length: 70000 })).toThrow(/length/);
    expect(() => encodeHeader({ ...base, version: 3 as 2 })).toThrow(/version must be 1 or 2/);
    expect(() => decodeHeader(new Uint8Array(5))).toThrow(SmpProtocolError);
    expect(() => decodeHeader(new Uint8Array(5))).toThrow(/5 bytes/);
    expect(() => decodeHeader(Uint8Array.from([0x14, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/version bits 2/);
    expect(() => decodeHeader(Uint8Array.from([0x0c, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/undefined op 4/);
    expect(() => decodeHeader(Uint8Array.from([0x20, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/reserved bits/);
  });

  it('decodes raw fields without judging them (for servers)', () => {
    const raw = decodeRawHeader(Uint8Array.from([0x15, 1, 0, 2, 0, 3, 4, 5]));
    expect(raw).toEqual({
      reserved: 0,
      versionBits: 2,
      op: 5,
      flags: 1,
      length: 2,
      group: 3,
      sequence: 4,
      command: 5,
    });
  });
});
