import { describe, expect, it } from 'vitest';
import {
  crc16Xmodem,
  decodeBase64Line,
  encodeSerialFrame,
  encodeSerialLines,
  type SerialEvent,
  SerialFrameDecoder,
} from '../../src/transport/serial-framing.ts';

const bytes = (...values: number[]) => Uint8Array.from(values);
const ascii = (text: string) => new TextEncoder().encode(text);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
};

const echoV2 = bytes(0x0a, 0, 0, 9, 0, 0, 0x42, 0, 0xa1, 0x61, 0x64, 0x65, 0x68, 0x65, 0x6c, 0x6c, 0x6f);

function packetOfSize(size: number): Uint8Array {
  const packet = new Uint8Array(size);
  for (let i = 0; i < size; i++) packet[i] = (i * 131 + size) & 0xff;
  return packet;
}

function packets(events: SerialEvent[]): Uint8Array[] {
  return events.flatMap((e) => (e.kind === 'packet' ? [e.packet] : []));
}

describe('CRC-16/XMODEM', () => {
  it('matches the standard check value and the worked example', () => {
    expect(crc16Xmodem(ascii('123456789'))).toBe(0x31c3);
    expect(crc16Xmodem(echoV2)).toBe(0x4619);
    const v1 = echoV2.slice();
    v1[0] = 0x02;
    expect(crc16Xmodem(v1)).toBe(0xc109);
  });
});

describe('serial frame encoder', () => {
  it('produces the worked example line byte for byte (v2 and v1)', () => {
    expect([...encodeSerialFrame(echoV2)]).toEqual([
      0x06,
      0x09,
      ...ascii('ABMKAAAJAABCAKFhZGVoZWxsb0YZ'),
      0x0a,
    ]);
    const v1 = echoV2.slice();
    v1[0] = 0x02;
    expect([...encodeSerialFrame(v1)]).toEqual([0x06, 0x09, ...ascii('ABMCAAAJAABCAKFhZGVoZWxsb8EJ'), 0x0a]);
  });

  it('matches the Go client echo "aa" capture from zephyr issue #39546', () => {
    const packet = bytes(0x02, 0, 0, 6, 0, 0, 0x42, 0, 0xa1, 0x61, 0x64, 0x62, 0x61, 0x61);
    expect(crc16Xmodem(packet)).toBe(0x4bf1);
    const line = encodeSerialFrame(packet);
    const decoded = decodeBase64Line(line.subarray(2, line.length - 1));
    expect(decoded).toEqual(bytes(0x00, 0x10, ...packet, 0x4b, 0xf1));
  });

  it('fits up to 89 packet bytes in one line and splits 90', () => {
    expect(encodeSerialLines(packetOfSize(89))).toHaveLength(1);
    expect(encodeSerialLines(packetOfSize(89))[0]).toHaveLength(127);
    expect(encodeSerialLines(packetOfSize(90))).toHaveLength(2);
  });

  it('round-trips every size 0..2100 with Zephyr line rules', () => {
    // Collect rule violations and assert once: thousands of expect() calls would be slow.
    const problems: string[] = [];
    for (let size = 0; size <= 2100; size++) {
      const packet = packetOfSize(size);
      const lines = encodeSerialLines(packet);
      const stream: number[] = [];
      lines.forEach((line, index) => {
        const last = index === lines.length - 1;
        const marker = index === 0 ? [0x06, 0x09] : [0x04, 0x14];
        if (line.length > 127) problems.push(`${size}: line ${index} is ${line.length} bytes`);
        if (line[0] !== marker[0] || line[1] !== marker[1]) problems.push(`${size}: line ${index} marker`);
        if (line[line.length - 1] !== 0x0a) problems.push(`${size}: line ${index} lacks newline`);
        const text = line.subarray(2, line.length - 1);
        if (text.length % 4 !== 0) problems.push(`${size}: line ${index} base64 not whole groups`);
        if (!last && text.includes(0x3d)) problems.push(`${size}: padding before the last line`);
        const decoded = decodeBase64Line(text);
        if (typeof decoded === 'string') {
          problems.push(`${size}: ${decoded}`);
          return;
        }
        // The CRC is never split: the last line carries both CRC bytes.
        if (last && decoded.length < 2) problems.push(`${size}: CRC split across lines`);
        stream.push(...decoded);
      });
      if (stream.length !== size + 4) problems.push(`${size}: decoded ${stream.length} bytes`);
      if (((stream[0]! << 8) | stream[1]!) !== size + 2) problems.push(`${size}: length field`);
      const out = packets(new SerialFrameDecoder().push(encodeSerialFrame(packet)));
      if (out.length !== 1 || out[0]!.length !== size || out[0]!.some((b, i) => b !== packet[i])) {
        problems.push(`${size}: decoder did not return the packet`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('serial frame decoder', () => {
  it('decodes the worked example', () => {
    const events = new SerialFrameDecoder().push(encodeSerialFrame(echoV2));
    expect(events).toEqual([{ kind: 'packet', packet: echoV2 }]);
  });

  it('finds frames among Zephyr log lines and MCUboot banners, passing the text through', () => {
    const big = packetOfSize(300);
    const frames = encodeSerialLines(big);
    const stream = concat(
      ascii('*** Booting MCUboot v2.1.0 ***\r\n'),
      ascii('[00:00:01.234,000] <inf> app: hello\n'),
      frames[0]!,
      ascii('[00:00:01.300,000] <wrn> app: interleaved\r\n'),
      ...frames.slice(1),
      ascii('uart:~$ partial prompt'),
    );
    const decoder = new SerialFrameDecoder();
    const events = decoder.push(stream);
    expect(events).toEqual([
      { kind: 'text', text: '*** Booting MCUboot v2.1.0 ***' },
      { kind: 'text', text: '[00:00:01.234,000] <inf> app: hello' },
      { kind: 'text', text: '[00:00:01.300,000] <wrn> app: interleaved' },
      { kind: 'packet', packet: big },
    ]);
    expect(decoder.flushText()).toEqual([{ kind: 'text', text: 'uart:~$ partial prompt' }]);
  });

  it('finds a frame that starts in the middle of a text line', () => {
    const events = new SerialFrameDecoder().push(
      concat(ascii('[00:00:02.000,000] <inf> app: tick'), encodeSerialFrame(echoV2)),
    );
    expect(events).toEqual([
      { kind: 'text', text: '[00:00:02.000,000] <inf> app: tick' },
      { kind: 'packet', packet: echoV2 },
    ]);
  });

  it('gives the same result when the stream is split at every byte boundary', () => {
    const stream = concat(
      ascii('log line\n'),
      encodeSerialFrame(packetOfSize(200)),
      ascii('after\n'),
      encodeSerialFrame(echoV2),
    );
    const whole = new SerialFrameDecoder().push(stream);
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new SerialFrameDecoder();
      const events = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(events).toEqual(whole);
    }
    const oneByOne = new SerialFrameDecoder();
    expect([...stream].flatMap((b) => oneByOne.push(bytes(b)))).toEqual(whole);
  });

  it('drops frames with a bad CRC, bad base64 or a length overrun and recovers', () => {
    const good = encodeSerialFrame(echoV2);
    const badCrc = good.slice();
    badCrc[10] = badCrc[10] === 0x41 ? 0x42 : 0x41;
    const badBase64 = good.slice();
    badBase64[5] = 0x2a; // '*'
    // Length field says 4 but 11 bytes follow: decoded "AAQK" + more.
    const overrun = concat(bytes(0x06, 0x09), ascii('AAQKAAAJAABCAKFh'), bytes(0x0a));
    const events = new SerialFrameDecoder().push(
      concat(badCrc, badBase64, overrun, ascii('garbage\x06\n'), good),
    );
    expect(events.map((e) => e.kind)).toEqual(['bad-frame', 'bad-frame', 'bad-frame', 'text', 'packet']);
    expect(events[0]).toEqual({ kind: 'bad-frame', reason: 'CRC mismatch' });
    expect((events[1] as { reason: string }).reason).toMatch(/invalid base64/);
    expect((events[2] as { reason: string }).reason).toMatch(/length overrun/);
  });

  it('restarts on a new start frame and drops a continuation without a packet', () => {
    const lines = encodeSerialLines(packetOfSize(150));
    const events = new SerialFrameDecoder().push(concat(lines[1]!, lines[0]!, encodeSerialFrame(echoV2)));
    expect(events).toEqual([
      { kind: 'bad-frame', reason: 'continuation frame without a packet in progress' },
      { kind: 'bad-frame', reason: 'incomplete packet abandoned: a new start frame arrived' },
      { kind: 'packet', packet: echoV2 },
    ]);
  });

  it('keeps a possible half marker when flushing text', () => {
    const decoder = new SerialFrameDecoder();
    const frame = encodeSerialFrame(echoV2);
    decoder.push(concat(ascii('prompt> '), frame.subarray(0, 1)));
    expect(decoder.flushText()).toEqual([{ kind: 'text', text: 'prompt> ' }]);
    expect(decoder.push(frame.subarray(1))).toEqual([{ kind: 'packet', packet: echoV2 }]);
  });

  it('with resync, finds a frame that starts after a cut-off frame line (as a client must)', () => {
    const cut = encodeSerialLines(packetOfSize(150))[0]!.subarray(0, 40);
    const stream = concat(ascii('log line\n'), cut, encodeSerialFrame(echoV2));
    expect(packets(new SerialFrameDecoder({ resync: true }).push(stream))).toEqual([echoV2]);
    // Zephyr's receiver (and the default) decodes the whole line and loses the frame with it.
    expect(packets(new SerialFrameDecoder().push(stream))).toEqual([]);
  });
});
