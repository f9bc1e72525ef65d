import { describe, expect, it } from 'vitest';
import {
  type CborMap,
  decodeCbor,
  decodePacket,
  encodeCbor,
  encodePacket,
  splitMessages,
  toIndefiniteLength,
} from '../../src/smp/codec.ts';
import { SmpProtocolError } from '../../src/smp/errors.ts';
import { encodeHeader, SmpOp } from '../../src/smp/header.ts';

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');

describe('CBOR codec', () => {
  it('encodes the worked-example echo body minimally', () => {
    expect(hex(encodeCbor({ d: 'hello' }))).toBe('a1 61 64 65 68 65 6c 6c 6f');
  });

  it('writes byte strings as plain bstr (no typed-array tag) and decodes them as Uint8Array', () => {
    const encoded = encodeCbor({ b: Uint8Array.from([1, 2]) });
    expect(hex(encoded)).toBe('a1 61 62 42 01 02');
    const decoded = decodeCbor(encoded) as CborMap;
    expect(decoded.b).toBeInstanceOf(Uint8Array);
    expect(decoded.b?.constructor).toBe(Uint8Array);
    expect(decoded.b).toEqual(Uint8Array.from([1, 2]));
  });

  it('keeps large integers integral and drops undefined keys', () => {
    const encoded = encodeCbor({ n: 2 ** 40, u: undefined } as unknown as CborMap);
    expect(hex(encoded)).toBe('a1 61 6e 1b 00 00 01 00 00 00 00 00');
    expect(decodeCbor(encoded)).toEqual({ n: 2 ** 40 });
  });

  it('encodes a map key named "__proto__" as a key (found by npm run fuzz)', () => {
    // Object.fromEntries makes "__proto__" an own key, as a map decoded from the wire or built from
    // user input has it. Copying it with `out[key] =` set the copy's prototype instead, and cbor-x
    // then took the map for a byte string and threw a TypeError.
    const body = Object.fromEntries([['__proto__', Uint8Array.from([7])]]) as CborMap;
    const encoded = encodeCbor(body);
    expect(hex(encoded)).toBe('a1 69 5f 5f 70 72 6f 74 6f 5f 5f 41 07');
    // cbor-x renames the key on decoding (its guard against prototype pollution).
    expect(decodeCbor(encoded)).toEqual({ __proto_: Uint8Array.from([7]) });
  });

  it('rewrites containers into indefinite-length form like zcbor', () => {
    const body = { images: [{ slot: 0, hash: Uint8Array.from([9]), active: true }], splitStatus: 0 };
    const indefinite = encodeCbor(body, { indefinite: true });
    expect(indefinite[0]).toBe(0xbf);
    expect(indefinite[indefinite.length - 1]).toBe(0xff);
    expect(hex(toIndefiniteLength(Uint8Array.from([0x82, 0x01, 0xa1, 0x61, 0x61, 0x02])))).toBe(
      '9f 01 bf 61 61 02 ff ff',
    );
    expect(decodeCbor(indefinite)).toEqual(body);
    expect(decodeCbor(encodeCbor(body))).toEqual(body);
  });

  it('decodes hand-written indefinite maps and arrays as Zephyr sends them', () => {
    // {_ "r": "hi", "l": [_ 1, 2] }
    const bytes = Uint8Array.from([
      0xbf, 0x61, 0x72, 0x62, 0x68, 0x69, 0x61, 0x6c, 0x9f, 0x01, 0x02, 0xff, 0xff,
    ]);
    expect(decodeCbor(bytes)).toEqual({ r: 'hi', l: [1, 2] });
  });

  it('reports CBOR nested deeper than any SMP body as a protocol error (found by npm run fuzz)', () => {
    // One-item arrays inside each other. 3000 levels overflowed the stack in the recursive copy
    // after cbor-x, so a RangeError escaped instead of an SmpProtocolError; now a limit of 64
    // levels (Zephyr bounds it too: CONFIG_MCUMGR_SMP_CBOR_MAX_DECODING_LEVELS) says so in words.
    const nested = (levels: number) => Uint8Array.from([...new Array(levels).fill(0x81), 0x00]);
    expect(() => decodeCbor(nested(3000))).toThrow(SmpProtocolError);
    expect(() => decodeCbor(nested(100))).toThrow(/nested deeper than 64 levels/);
    expect(() => toIndefiniteLength(nested(3000))).toThrow(/nested deeper than 64 levels/);
    expect(toIndefiniteLength(nested(64)).length).toBe(64 * 2 + 1);
    let value = decodeCbor(nested(64));
    for (let level = 0; level < 64; level++) value = (value as unknown[])[0] as typeof value;
    expect(value).toBe(0);
  });

  it('reports truncated CBOR as a protocol error', () => {
    expect(() => decodeCbor(Uint8Array.from([0xa1, 0x61]))).toThrow(SmpProtocolError);
    expect(() => decodeCbor(Uint8Array.from([0xa0, 0x00]))).toThrow(/invalid CBOR/);
  });
});

describe('SMP packets', () => {
  it('encodes header + body and decodes it back', () => {
    const packet = encodePacket(
      { version: 2, op: SmpOp.Write, flags: 0, group: 0, sequence: 0x42, command: 0 },
      { d: 'hello' },
    );
    expect(hex(packet)).toBe('0a 00 00 09 00 00 42 00 a1 61 64 65 68 65 6c 6c 6f');
    const decoded = decodePacket(packet);
    expect(decoded.header.length).toBe(9);
    expect(decoded.body).toEqual({ d: 'hello' });
  });

  it('rejects a length mismatch and reports empty payloads as undefined', () => {
    const empty = encodeHeader({
      version: 1,
      op: SmpOp.Read,
      flags: 0,
      length: 0,
      group: 2,
      sequence: 1,
      command: 1,
    });
    expect(decodePacket(empty).body).toBeUndefined();
    const short = empty.slice();
    short[3] = 4;
    expect(() => decodePacket(short)).toThrow(/announces 4 payload bytes but the packet carries 0/);
  });

  it('splits back-to-back messages', () => {
    const a = encodePacket(
      { version: 2, op: SmpOp.Read, flags: 0, group: 0, sequence: 1, command: 0 },
      { d: 'a' },
    );
    const b = encodePacket({ version: 2, op: SmpOp.Read, flags: 0, group: 0, sequence: 2, command: 0 }, {});
    const both = new Uint8Array([...a, ...b]);
    expect(splitMessages(both).map((m) => m.length)).toEqual([a.length, b.length]);
    expect(() => splitMessages(both.subarray(0, both.length - 1))).toThrow(SmpProtocolError);
  });
});
