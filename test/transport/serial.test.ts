import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import tty from 'node:tty';
import pty from 'node-pty';
import { afterEach, describe, expect, it } from 'vitest';
import { SmpClient } from '../../src/client/client.ts';
import { echo } from '../../src/groups/os/models.ts';
import { type CborMap, decodePacket, encodePacket } from '../../src/smp/codec.ts';
import { responseOpFor } from '../../src/smp/header.ts';
import { SerialTransport } from '../../src/transport/serial.ts';
import { encodeSerialLines, SerialFrameDecoder } from '../../src/transport/serial-framing.ts';

interface NativePty {
  master: number;
  slave: number;
  pty: string;
}
/** node-pty exposes its native open() without typings. */
interface NodePtyNative {
  native: { open(cols: number, rows: number): NativePty };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});

/** The device side of the PTY: a tiny echo server using our own framing, with log lines mixed in. */
function playEchoDevice(master: number): void {
  const input = new tty.ReadStream(master);
  const decoder = new SerialFrameDecoder();
  const write = (bytes: Uint8Array | string) =>
    typeof bytes === 'string' ? fs.writeSync(master, bytes) : fs.writeSync(master, bytes);
  input.on('data', (chunk: Buffer) => {
    for (const event of decoder.push(new Uint8Array(chunk))) {
      if (event.kind !== 'packet') continue;
      const { header, body } = decodePacket(event.packet);
      const reply = encodePacket(
        { ...header, op: responseOpFor(header.op), flags: 0 },
        { r: (body as CborMap).d as string },
        { indefinite: true },
      );
      write('[00:00:01.234,000] <inf> app: handling echo\r\n');
      // A log line lands between the lines of the frame, as on a busy UART.
      const [first, ...rest] = encodeSerialLines(reply);
      write(first!);
      write('[00:00:01.235,000] <wrn> app: mid-frame\r\n');
      for (const line of rest) write(line);
    }
  });
  cleanups.push(() => {
    input.destroy();
  });
}

describe('SerialTransport on a real PTY', () => {
  it('does a request/response and passes log text to onText', async () => {
    const terminal = (pty as unknown as NodePtyNative).native.open(80, 24);
    execFileSync('stty', ['-F', terminal.pty, 'raw', '-echo']);
    cleanups.push(() => fs.closeSync(terminal.slave));
    playEchoDevice(terminal.master);

    const transport = await SerialTransport.open({ path: terminal.pty });
    const client = new SmpClient(transport, { timeoutMs: 2000, retries: 0 });
    cleanups.push(() => client.close());
    const texts: string[] = [];
    transport.onText((text) => texts.push(text));

    const long = 'hello over a pseudo terminal '.repeat(6);
    await expect(client.request(echo, { d: long })).resolves.toEqual({ r: long });
    expect(texts).toContain('[00:00:01.234,000] <inf> app: handling echo');
    expect(texts).toContain('[00:00:01.235,000] <wrn> app: mid-frame');
    expect(transport.mtu).toBe(256);
  });

  it('names the path and the OS reason when the port cannot be opened', async () => {
    await expect(SerialTransport.open({ path: '/dev/zdfu-no-such-port' })).rejects.toThrow(
      /cannot open serial port \/dev\/zdfu-no-such-port at 115200 baud: No such file or directory/,
    );
  });
});
