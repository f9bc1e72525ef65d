import { describe, expect, it } from 'vitest';
import { getBoard } from '../../../src/device/boards/index.ts';
import { smpServerBuild } from '../../../src/device/server/build-config.ts';
import { SmpServer } from '../../../src/device/server/smp-server.ts';
import { UartEndpoint } from '../../../src/device/transport/uart.ts';
import { registerOsGroup } from '../../../src/groups/os/server.ts';
import { decodePacket, encodePacket } from '../../../src/smp/codec.ts';
import {
  encodeSerialFrame,
  encodeSerialLines,
  SerialFrameDecoder,
} from '../../../src/transport/serial-framing.ts';

const board = getBoard('stm32f4_disco');
const build = smpServerBuild(board);
const text = (s: string) => new TextEncoder().encode(s);

function echoPacket(d: string, sequence: number): Uint8Array {
  return encodePacket({ version: 2, op: 2, flags: 0, group: 0, sequence, command: 0 }, { d });
}

function setup() {
  const server = new SmpServer({ netbufSize: build.netbufSize });
  registerOsGroup(server, { board, build, requestReset: () => undefined });
  const replies: Array<{ sequence: number; body: unknown }> = [];
  const uart = new SerialFrameDecoder();
  const endpoint = new UartEndpoint({
    rxLineBufferSize: board.smp.rxLineBufferSize,
    netbufSize: build.netbufSize,
    handle: (packet) => server.handlePacket(packet),
    transmit: (bytes) => {
      for (const event of uart.push(bytes)) {
        if (event.kind === 'packet') {
          const decoded = decodePacket(event.packet);
          replies.push({ sequence: decoded.header.sequence, body: decoded.body });
        }
      }
    },
  });
  /** Lets the server's queued work and the reply callbacks run. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { endpoint, replies, settle };
}

describe('UartEndpoint (Zephyr uart_mcumgr line rules)', () => {
  it('answers a framed echo with a framed response', async () => {
    const { endpoint, replies, settle } = setup();
    endpoint.receive(encodeSerialFrame(echoPacket('hello', 1)));
    await settle();
    expect(replies).toEqual([{ sequence: 1, body: { r: 'hello' } }]);
    expect(endpoint.stats.packets).toBe(1);
  });

  it('drops garbage lines silently and still answers the next good frame', async () => {
    const { endpoint, replies, settle } = setup();
    endpoint.receive(Uint8Array.of(0x00, 0xff, 0x13, 0x37, 0x0a));
    endpoint.receive(text('\x06\x09!!!not base64!!!\n'));
    endpoint.receive(text('\x04\x14QUJD\n')); // continuation with no packet in progress
    expect(replies).toEqual([]);
    endpoint.receive(encodeSerialFrame(echoPacket('after garbage', 2)));
    await settle();
    expect(replies).toEqual([{ sequence: 2, body: { r: 'after garbage' } }]);
    expect(endpoint.stats.badFrames).toBeGreaterThanOrEqual(1);
  });

  it('drops a frame with a bad CRC silently (counted) and answers the next one', async () => {
    const { endpoint, replies, settle } = setup();
    const [line] = encodeSerialLines(echoPacket('crc', 3));
    const bad = line!.slice();
    // A base64 character past the length field: the data changes, so the CRC no longer checks.
    const at = 2 + 8;
    bad[at] = bad[at] === 0x41 ? 0x42 : 0x41;
    endpoint.receive(bad);
    await settle();
    expect(replies).toEqual([]);
    expect(endpoint.stats.badFrames).toBe(1);
    expect(endpoint.stats.packets).toBe(0);
    endpoint.receive(encodeSerialFrame(echoPacket('crc ok', 4)));
    await settle();
    expect(replies).toEqual([{ sequence: 4, body: { r: 'crc ok' } }]);
  });

  it('drops a line longer than the 128-byte RX buffer whole and answers the next frame', async () => {
    const { endpoint, replies, settle } = setup();
    endpoint.receive(text(`\x06\x09${'A'.repeat(200)}\n`));
    await settle();
    expect(replies).toEqual([]);
    expect(endpoint.stats.droppedLongLines).toBe(1);
    endpoint.receive(encodeSerialFrame(echoPacket('short', 5)));
    await settle();
    expect(replies).toEqual([{ sequence: 5, body: { r: 'short' } }]);
  });

  it('keeps a line of exactly 128 bytes (newline included) and drops one of 129', async () => {
    const { endpoint } = setup();
    endpoint.receive(text(`${'x'.repeat(127)}\n`));
    expect(endpoint.stats.droppedLongLines).toBe(0);
    endpoint.receive(text(`${'x'.repeat(128)}\n`));
    expect(endpoint.stats.droppedLongLines).toBe(1);
  });

  it('ignores console text, also between the lines of one frame', async () => {
    const { endpoint, replies, settle } = setup();
    const long = 'y'.repeat(200);
    const lines = encodeSerialLines(echoPacket(long, 6));
    expect(lines.length).toBeGreaterThan(1);
    endpoint.receive(text('uart:~$ kernel version\r\n'));
    endpoint.receive(lines[0]!);
    endpoint.receive(text('I: [00:00:01.000] app: some log line\r\n'));
    for (const line of lines.slice(1)) endpoint.receive(line);
    await settle();
    expect(replies).toEqual([{ sequence: 6, body: { r: long } }]);
    expect(endpoint.stats.badFrames).toBe(0);
  });

  it('drops a packet larger than one netbuf (length + packet + CRC > NETBUF_SIZE) without answering', async () => {
    const { endpoint, replies, settle } = setup();
    const big = echoPacket('z'.repeat(build.netbufSize), 7);
    expect(big.length + 4).toBeGreaterThan(build.netbufSize);
    endpoint.receive(encodeSerialFrame(big));
    await settle();
    expect(replies).toEqual([]);
    expect(endpoint.stats.droppedOversize).toBe(1);
    // The largest packet that fits (NETBUF_SIZE − 4 bytes) is still answered.
    const overhead = echoPacket('', 8).length;
    const fits = echoPacket('f'.repeat(build.netbufSize - 4 - overhead - 2), 8);
    expect(fits.length).toBe(build.netbufSize - 4);
    endpoint.receive(encodeSerialFrame(fits));
    await settle();
    expect(replies.map((r) => r.sequence)).toEqual([8]);
  });

  it('a new start line throws away a packet in progress', async () => {
    const { endpoint, replies, settle } = setup();
    const lines = encodeSerialLines(echoPacket('w'.repeat(200), 9));
    endpoint.receive(lines[0]!);
    endpoint.receive(encodeSerialFrame(echoPacket('restart', 10)));
    for (const line of lines.slice(1)) endpoint.receive(line);
    await settle();
    expect(replies).toEqual([{ sequence: 10, body: { r: 'restart' } }]);
  });
});
