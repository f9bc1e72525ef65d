/**
 * What the fuzz suite feeds the device and the client: SMP packets (valid headers with mutated
 * CBOR bodies, wrong lengths, v1/v2 and undefined versions, every group and command id, odd ops,
 * truncated, oversized, several messages in one packet) and serial console streams (frames with a
 * bad CRC, bad base64 or a wrong length, partial frames, junk, long lines, console text).
 * Everything is a fast-check arbitrary, so a run is reproducible from its seed and shrinks.
 */
import fc from 'fast-check';
import { type CborMap, type CborValue, encodeCbor } from '../../src/smp/codec.ts';
import { SmpGroup } from '../../src/smp/group-ids.ts';
import { crc16Xmodem, encodeSerialFrame } from '../../src/transport/serial-framing.ts';

/**
 * Requests that may legitimately change flash (or restart the device), as (group, command) with
 * op = write (2), from the virtual device's handlers:
 * - image state write (1, 0): test/confirm writes the trailer (magic, swap info, image_ok);
 * - image upload (1, 1): erases and writes slot 1;
 * - image erase (1, 5): erases a slot;
 * - os reset (0, 5): MCUboot runs again and may swap, revert or write copy-done / image_ok,
 *   and the app restarts;
 * - settings delete (3, 1) and save (3, 3): the settings file on the board's LittleFS;
 * - zephyr basic erase storage (63, 0): erases storage_partition.
 * Every other request, whatever its body, must leave the flash as it was. A new command that
 * writes flash belongs here; the fuzz run reports it as "flash changed" until it is listed.
 */
export const FLASH_WRITERS: ReadonlyArray<readonly [group: number, command: number]> = [
  [SmpGroup.Image, 0],
  [SmpGroup.Image, 1],
  [SmpGroup.Image, 5],
  [SmpGroup.Os, 5],
  [SmpGroup.Settings, 1],
  [SmpGroup.Settings, 3],
  [SmpGroup.ZephyrBasic, 0],
];
const OP_WRITE = 2;

/**
 * Whether a transport packet holds a message the server would hand to a flash-writing handler.
 * Walks the messages exactly as the server does (8-byte header, then `length` bytes; a message
 * that runs past the end stops the walk). Conservative: the version bits are not looked at.
 */
export function mayWriteFlash(packet: Uint8Array): boolean {
  let offset = 0;
  while (packet.length - offset >= 8) {
    const op = (packet[offset] ?? 0) & 0b111;
    const length = ((packet[offset + 2] ?? 0) << 8) | (packet[offset + 3] ?? 0);
    const group = ((packet[offset + 4] ?? 0) << 8) | (packet[offset + 5] ?? 0);
    const command = packet[offset + 7] ?? 0;
    if (op === OP_WRITE && FLASH_WRITERS.some(([g, c]) => g === group && c === command)) return true;
    offset += 8 + length;
  }
  return false;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const ascii = (text: string) => new TextEncoder().encode(text);

/** Keys of every request and response model, so random maps often hit real fields. */
const KEYS = [
  'd',
  'r',
  'rc',
  'rsn',
  'err',
  'group',
  'force',
  'format',
  'query',
  'name',
  'hash',
  'confirm',
  'image',
  'len',
  'off',
  'sha',
  'data',
  'upgrade',
  'slot',
  'datetime',
  'images',
  'version',
  'bootable',
  'pending',
  'confirmed',
  'active',
  'permanent',
  'splitStatus',
  'match',
  'tasks',
  'prio',
  'tid',
  'state',
  'buf_size',
  'buf_count',
  'output',
  'bootloader',
  'mode',
  'no-downgrade',
  'fields',
  'stat_list',
  'slots',
  'size',
  'upload_image_id',
  'max_image_size',
  // Names a JavaScript object already has: a decoder that builds objects must not trip on them.
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
] as const;

/** Text values a handler might treat specially (stat names, os info formats, queries). */
const WORDS = ['', 'smp_server_stats', 'mode', 'a', 's', 'snrvmpio', 'x', 'hello', 'MCUboot'];

const integer = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -2, max: 300 }) },
  { weight: 2, arbitrary: fc.integer() },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      0xffff,
      0x10000,
      2 ** 31,
      2 ** 32,
      2 ** 32 + 1,
      Number.MAX_SAFE_INTEGER,
      -(2 ** 32),
      Number.MIN_SAFE_INTEGER,
    ),
  },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }) },
);

/** Any CBOR value the codec can write, nested a few levels, with keys from the command models. */
export const cborValue: fc.Arbitrary<CborValue> = fc.letrec<{ value: CborValue; map: CborMap }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: integer },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.constantFrom(...WORDS),
        fc.string({ maxLength: 40 }),
        fc.string({ unit: 'grapheme', maxLength: 8 }),
      ),
    },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 48 }) },
    { weight: 1, arbitrary: fc.constantFrom(null, true, false) },
    { weight: 1, arbitrary: fc.double() },
    { weight: 2, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 3, arbitrary: tie('map') },
  ),
  map: fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), tie('value')), {
      maxLength: 5,
    })
    // fromEntries makes every key an own property, "__proto__" included, as a wire map has it.
    .map((entries) => Object.fromEntries(entries) as CborMap),
})).value;

export const cborMap: fc.Arbitrary<CborMap> = fc
  .array(fc.tuple(fc.constantFrom(...KEYS), cborValue), { maxLength: 6 })
  .map((entries) => Object.fromEntries(entries) as CborMap);

/** Bytes CBOR decoders trip on: break, indefinite starts, 8-byte lengths, tags, reserved infos. */
const CBOR_SPECIALS = [
  0xff, 0x9f, 0xbf, 0x5f, 0x7f, 0x1b, 0x3b, 0x5b, 0x7b, 0x9b, 0xbb, 0xc0, 0xc2, 0xd8, 0xd9, 0xf7, 0xf9, 0xfa,
  0xfb, 0x1c, 0x1f, 0xfc, 0x18,
];

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    value: fc.oneof(fc.constantFrom(...CBOR_SPECIALS), fc.nat(255)),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
);

function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = input;
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % (bytes.length + (m.kind === 'insert' ? 1 : 0));
    if (m.kind === 'flip' && bytes.length > 0) {
      bytes = bytes.slice();
      bytes[at] = (bytes[at] ?? 0) ^ (1 << m.bit);
    } else if (m.kind === 'set' && bytes.length > 0) {
      bytes = bytes.slice();
      bytes[at] = m.value;
    } else if (m.kind === 'truncate') {
      bytes = bytes.slice(0, at);
    } else if (m.kind === 'insert') {
      bytes = concatBytes([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
    } else if (m.kind === 'delete') {
      bytes = concatBytes([bytes.subarray(0, at), bytes.subarray(at + m.count)]);
    }
  }
  return bytes;
}

/** Mutations applied to some base bytes; shrinking drops mutations first. */
export function mutated(base: fc.Arbitrary<Uint8Array>, maxMutations = 3): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      base,
      fc.oneof(
        { weight: 2, arbitrary: fc.constant([]) },
        fc.array(mutation, { minLength: 1, maxLength: maxMutations }),
      ),
    )
    .map(([bytes, mutations]) => mutate(bytes, mutations));
}

/** Nesting far deeper than any SMP body: arrays, unterminated indefinite arrays, maps in maps. */
const deeplyNested: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.integer({ min: 16, max: 3000 }), fc.constantFrom('array', 'indefinite', 'map'))
  .map(([depth, kind]) => {
    if (kind === 'array') return concatBytes([new Uint8Array(depth).fill(0x81), Uint8Array.of(0)]);
    if (kind === 'indefinite') return new Uint8Array(depth).fill(0x9f);
    const out = new Uint8Array(depth * 3 + 1);
    for (let i = 0; i < depth; i++) out.set([0xa1, 0x61, 0x64], i * 3);
    return out;
  });

/** A CBOR body: a request-like map (definite or zcbor's indefinite form), mutated or not, or junk. */
export const cborBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  {
    weight: 8,
    arbitrary: mutated(
      fc.tuple(cborMap, fc.boolean()).map(([map, indefinite]) => encodeCbor(map, { indefinite })),
    ),
  },
  { weight: 2, arbitrary: cborValue.map((value) => encodeCbor(value)) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 1, arbitrary: deeplyNested },
);

const KNOWN_GROUPS = Object.values(SmpGroup).filter((value): value is number => typeof value === 'number');

export interface HeaderFields {
  reserved: number;
  versionBits: number;
  op: number;
  flags: number;
  group: number;
  sequence: number;
  command: number;
}

export const headerFields: fc.Arbitrary<HeaderFields> = fc.record({
  reserved: fc.oneof({ weight: 15, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 7 })),
  versionBits: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(0, 1) }, fc.constantFrom(2, 3)),
  op: fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(0, 2) },
    fc.constantFrom(1, 3),
    fc.integer({ min: 4, max: 7 }),
  ),
  flags: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, fc.nat(255)),
  group: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...KNOWN_GROUPS) },
    { weight: 1, arbitrary: fc.integer({ min: 64, max: 70 }) },
    { weight: 1, arbitrary: fc.nat(0xffff) },
  ),
  sequence: fc.nat(255),
  command: fc.oneof({ weight: 8, arbitrary: fc.nat(9) }, { weight: 1, arbitrary: fc.nat(255) }),
});

export function encodeRawHeader(fields: HeaderFields, length: number): Uint8Array {
  const header = new Uint8Array(8);
  header[0] = (fields.reserved << 5) | (fields.versionBits << 3) | fields.op;
  header[1] = fields.flags;
  header[2] = (length >> 8) & 0xff;
  header[3] = length & 0xff;
  header[4] = fields.group >> 8;
  header[5] = fields.group & 0xff;
  header[6] = fields.sequence;
  header[7] = fields.command;
  return header;
}

/** How the header's length field relates to the body: right, a little off, or anything. */
const lengthField = fc.oneof(
  { weight: 12, arbitrary: fc.constant({ delta: 0 }) },
  { weight: 2, arbitrary: fc.integer({ min: -3, max: 3 }).map((delta) => ({ delta })) },
  { weight: 1, arbitrary: fc.nat(0xffff).map((absolute) => ({ absolute })) },
);

/** One SMP message: header + body, the length field usually right. */
export const smpMessage: fc.Arbitrary<Uint8Array> = fc
  .tuple(headerFields, cborBody, lengthField)
  .map(([fields, body, length]) => {
    const value =
      'absolute' in length ? length.absolute : Math.max(0, Math.min(0xffff, body.length + length.delta));
    return concatBytes([encodeRawHeader(fields, value), body]);
  });

/** The device's netbuf and the UDP MTU are the limits that matter; go past both. */
const oversized = fc
  .tuple(headerFields, fc.integer({ min: 1400, max: 2600 }), fc.nat(255))
  .map(([fields, size, fill]) => {
    const body = new Uint8Array(size).fill(fill);
    // A text string head, so a fitting packet would still be CBOR-ish.
    body[0] = 0x79;
    body[1] = (size - 3) >> 8;
    body[2] = (size - 3) & 0xff;
    return concatBytes([encodeRawHeader(fields, size), body]);
  });

/** A transport packet (UDP datagram, or the packet inside a serial frame) that may not write flash. */
export const smpPacket: fc.Arbitrary<Uint8Array> = fc
  .oneof(
    { weight: 12, arbitrary: smpMessage },
    { weight: 3, arbitrary: fc.array(smpMessage, { minLength: 2, maxLength: 4 }).map(concatBytes) },
    { weight: 2, arbitrary: smpMessage.chain((m) => fc.nat(m.length).map((cut) => m.subarray(0, cut))) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 7 }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 8, maxLength: 300 }) },
    { weight: 1, arbitrary: oversized },
  )
  .filter((packet) => !mayWriteFlash(packet));

// --- serial console streams ---------------------------------------------------------------------

const RAW_PER_LINE = 93;

/** Lines of a frame built by hand, so length, CRC and line split can be wrong on purpose. */
function frameLines(raw: Uint8Array, perLine = RAW_PER_LINE): Uint8Array[] {
  const lines: Uint8Array[] = [];
  for (let offset = 0, first = true; offset < raw.length || first; offset += perLine, first = false) {
    const chunk = raw.subarray(offset, offset + perLine);
    const text = Buffer.from(chunk).toString('base64');
    lines.push(
      concatBytes([Uint8Array.from(first ? [0x06, 0x09] : [0x04, 0x14]), ascii(text), Uint8Array.of(0x0a)]),
    );
  }
  return lines;
}

function rawFrame(packet: Uint8Array, length: number, crc: number): Uint8Array {
  const raw = new Uint8Array(packet.length + 4);
  raw[0] = length >> 8;
  raw[1] = length & 0xff;
  raw.set(packet, 2);
  raw[raw.length - 2] = crc >> 8;
  raw[raw.length - 1] = crc & 0xff;
  return raw;
}

type FrameFlaw =
  | { kind: 'none' }
  | { kind: 'crc'; xor: number }
  | { kind: 'length'; value: number }
  | { kind: 'base64'; line: number; at: number; char: number }
  | { kind: 'drop-line'; line: number }
  | { kind: 'cut'; at: number }
  | { kind: 'short-lines'; perLine: number };

const frameFlaw: fc.Arbitrary<FrameFlaw> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ kind: 'none' as const }) },
  fc.record({ kind: fc.constant('crc' as const), xor: fc.integer({ min: 1, max: 0xffff }) }),
  fc.record({ kind: fc.constant('length' as const), value: fc.nat(0xffff) }),
  fc.record({
    kind: fc.constant('base64' as const),
    line: fc.nat(),
    at: fc.nat(),
    char: fc.constantFrom(0x21, 0x2a, 0x3d, 0x20, 0x0d, 0x80, 0xff, 0x00, 0x06, 0x04),
  }),
  fc.record({ kind: fc.constant('drop-line' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('short-lines' as const), perLine: fc.integer({ min: 1, max: 96 }) }),
);

/** A serial frame around a packet, whole and right or with one flaw. */
export const serialFrame: fc.Arbitrary<Uint8Array> = fc.tuple(smpPacket, frameFlaw).map(([packet, flaw]) => {
  if (flaw.kind === 'none') return encodeSerialFrame(packet);
  const crc = crc16Xmodem(packet);
  const length = packet.length + 2;
  if (flaw.kind === 'crc') return concatBytes(frameLines(rawFrame(packet, length, crc ^ flaw.xor)));
  if (flaw.kind === 'length') return concatBytes(frameLines(rawFrame(packet, flaw.value, crc)));
  // Lines of 3-byte multiples decode; others leave padding mid-packet, which the device rejects.
  if (flaw.kind === 'short-lines')
    return concatBytes(frameLines(rawFrame(packet, length, crc), flaw.perLine));
  const lines = frameLines(rawFrame(packet, length, crc));
  if (flaw.kind === 'drop-line') {
    lines.splice(flaw.line % lines.length, 1);
    return concatBytes(lines);
  }
  if (flaw.kind === 'base64') {
    const index = flaw.line % lines.length;
    const line = lines[index]!.slice();
    // Past the marker, before the newline.
    if (line.length > 3) line[2 + (flaw.at % (line.length - 3))] = flaw.char;
    lines[index] = line;
    return concatBytes(lines);
  }
  const whole = concatBytes(lines);
  return whole.subarray(0, flaw.at % (whole.length + 1));
});

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 100,
});

/** One piece of what shares the UART with SMP frames. */
const serialPiece: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 10, arbitrary: serialFrame },
  // A console line (a log line, a shell prompt), CR LF or LF ended, or not ended yet.
  {
    weight: 2,
    arbitrary: fc.tuple(printable, fc.constantFrom('\r\n', '\n', '')).map(([text, end]) => ascii(text + end)),
  },
  // Console text, then a frame in the middle of the same line.
  {
    weight: 2,
    arbitrary: fc.tuple(printable, serialFrame).map(([text, frame]) => concatBytes([ascii(text), frame])),
  },
  // A continuation line with nothing before it.
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ maxLength: 60 })
      .map((bytes) =>
        concatBytes([
          Uint8Array.of(0x04, 0x14),
          ascii(Buffer.from(bytes).toString('base64')),
          Uint8Array.of(0x0a),
        ]),
      ),
  },
  // Junk: any bytes, with or without a newline.
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 80 }) },
  // A line longer than the device's RX buffer (a frame marker at its start, or not).
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.boolean(), fc.integer({ min: 120, max: 3000 }), fc.nat(255), fc.boolean())
      .map(([marker, size, fill, newline]) => {
        const line = new Uint8Array(size + (newline ? 1 : 0)).fill(fill === 0x0a ? 0x41 : fill);
        if (marker) line.set([0x06, 0x09], 0);
        if (newline) line[size] = 0x0a;
        return line;
      }),
  },
);

/** One serial input: a few pieces back to back, as a burst on the RX line. */
export const serialInput: fc.Arbitrary<Uint8Array> = fc
  .array(serialPiece, { minLength: 1, maxLength: 3 })
  .map(concatBytes);
