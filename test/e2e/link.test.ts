/**
 * The link under stress, against the real virtual device on its real PTY and UDP socket: two
 * clients uploading at once, stray bytes on the serial line, a device that goes away, requests
 * larger than the device's buffers.
 */

import dgram from 'node:dgram';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/cli/program.ts';
import { RequestTooLargeError } from '../../src/client/client.ts';
import { DeviceClient } from '../../src/client/device.ts';
import { UploadConflictError, uploadImage } from '../../src/client/upload.ts';
import type { Board } from '../../src/device/boards/board.ts';
import { getBoard } from '../../src/device/boards/index.ts';
import { ROM_START_OFFSET } from '../../src/device/firmware/app-image.ts';
import { type SimHandle, startSim } from '../../src/device/io/sim-host.ts';
import { parseImage } from '../../src/image/format.ts';
import { loadSigningKey } from '../../src/image/keys.ts';
import { signImage } from '../../src/image/sign.ts';
import { LinkError } from '../../src/transport/link-error.ts';
import { SerialTransport } from '../../src/transport/serial.ts';
import { SERIAL_MAX_PACKET } from '../../src/transport/serial-framing.ts';
import { UdpTransport } from '../../src/transport/udp.ts';
import { faultOf } from '../../src/util/fault.ts';
import { ROOT } from '../device/server/fixtures.ts';
import { runZdfu } from '../helpers/run-zdfu.ts';

let dir: string;
let sims: SimHandle[] = [];
let clients: DeviceClient[] = [];

afterEach(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
  for (const sim of sims) await sim.close().catch(() => undefined);
  clients = [];
  sims = [];
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function sim(baud = 0, board?: Board): Promise<SimHandle> {
  dir = mkdtempSync(join(tmpdir(), 'zdfu-link-'));
  const handle = await startSim({
    ptyLink: join(dir, 'tty'),
    udp: '127.0.0.1:0',
    baud,
    ...(board ? { board } : {}),
  });
  sims.push(handle);
  return handle;
}

async function overUdp(s: SimHandle, mtu?: number): Promise<DeviceClient> {
  const transport = await UdpTransport.open({
    host: s.udp!.host,
    port: s.udp!.port,
    ...(mtu ? { mtu } : {}),
  });
  // A short probe delay keeps the oversize tests quick; the CLI's default (1 s) is tested too.
  const client = new DeviceClient(transport, { timeoutMs: 3000, retries: 1, probeAfterMs: 200 });
  clients.push(client);
  return client;
}

async function overSerial(s: SimHandle): Promise<DeviceClient> {
  const transport = await SerialTransport.open({ path: s.ptyPath, mtu: SERIAL_MAX_PACKET });
  const client = new DeviceClient(transport, { timeoutMs: 3000, retries: 1, probeAfterMs: 200 });
  clients.push(client);
  return client;
}

/** A signed image of about `size` bytes for the stm32f4_disco slot (it need not boot to upload). */
async function signed(size: number, version: string): Promise<Uint8Array> {
  const key = await loadSigningKey(readFileSync(join(ROOT, 'keys', 'dev-rsa-2048.pem'), 'utf8'));
  const payload = new Uint8Array(size);
  // The app is linked after a header gap of zeros (ROM_START_OFFSET), as imgtool expects.
  for (let i = ROM_START_OFFSET; i < size; i++) payload[i] = (i * 7 + version.length) & 0xff;
  return signImage(payload, { key, headerSize: ROM_START_OFFSET, slotSize: 0x60000, version, align: 1 });
}

const serialArgs = (s: SimHandle) => ['--conntype', 'serial', '--connstring', `dev=${s.ptyLink},baud=115200`];

describe('two clients uploading to one device at once (UDP and the PTY)', () => {
  it('the one whose session was taken over stops in words; the other finishes and the slot holds its image', async () => {
    const s = await sim();
    const first = await signed(150_000, '3.0.0');
    const second = await signed(60_000, '4.0.0');
    const udp = await overUdp(s);
    const serial = await overSerial(s);
    let other: Promise<unknown> | undefined;
    let otherStarted: Promise<void> | undefined;
    const link = udp.uploadLink();
    const interleaved = {
      ...link,
      // Once a third of our image is in, the serial client starts its upload, and our next chunk
      // goes out only after the device acknowledged the other client's first chunk.
      sendChunk: async (...args: Parameters<typeof link.sendChunk>) => {
        if (otherStarted === undefined && args[0].off > 50_000) {
          otherStarted = new Promise<void>((resolve) => {
            other = serial.imageUpload(second, { onProgress: () => resolve() });
            other.catch(() => resolve());
          });
        }
        if (otherStarted !== undefined) await otherStarted;
        return link.sendChunk(...args);
      },
    };
    const failure = await uploadImage(interleaved, first).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UploadConflictError);
    expect(faultOf(failure)).toBe('device');
    expect(exitCodeFor(failure)).toBe(2);
    expect((failure as Error).message).toMatch(/another client started its own upload to this device/);
    await expect(other).resolves.toMatchObject({ total: second.length });
    const listed = (await udp.imageList()).images.find((row) => row.slot === 1);
    expect(listed?.hash).toEqual(parseImage(second).sha256Hash);
  }, 30_000);

  it('an upload whose slot another client overwrote right after its last chunk fails the image-list check', async () => {
    const s = await sim();
    const ours = await signed(20_000, '3.0.0');
    const theirs = await signed(10_000, '4.0.0');
    const udp = await overUdp(s);
    const serial = await overSerial(s);
    const link = udp.uploadLink();
    const raced = {
      ...link,
      // The other client's whole upload lands between our last chunk and our check.
      slotImages: async (signal?: AbortSignal) => {
        await serial.imageUpload(theirs);
        return link.slotImages!(signal);
      },
    };
    const failure = await uploadImage(raced, ours).catch((e: unknown) => e);
    expect(exitCodeFor(failure)).toBe(2);
    expect((failure as Error).message).toMatch(
      /^The device acknowledged all \d+ bytes, but its image list does not show this file's image \(hash [0-9a-f]{16}…\): it lists slot 0: 1\.0\.0 \(hash [0-9a-f]{16}…\), slot 1: 4\.0\.0 \(hash [0-9a-f]{16}…\)\. Another client probably uploaded/,
    );
  }, 30_000);
});

describe('stray bytes on the serial line', () => {
  it('a partial frame left by an interrupted client costs the next command no timeout', async () => {
    const s = await sim(115200);
    const port = openSync(s.ptyLink!, 'r+');
    // Half a start line with no newline, as a client killed mid-write leaves it.
    writeSync(port, Buffer.from('\x06\x09AAAAhello, half a frame'));
    closeSync(port);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    const run = await runZdfu([...serialArgs(s), 'echo', 'still there'], { ZDFU_HOME: dir });
    expect(run).toMatchObject({ code: 0, out: 'still there\n' });
    // Well before the 10 s timeout a lost first request would cost.
    expect(Date.now() - started).toBeLessThan(5000);
  }, 30_000);
});

describe('a device that goes away', () => {
  it('a UDP port nobody listens on fails at once with exit 3 and words', async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const port = socket.address().port;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    dir = mkdtempSync(join(tmpdir(), 'zdfu-link-'));
    const transport = await UdpTransport.open({ host: '127.0.0.1', port });
    const client = new DeviceClient(transport, { timeoutMs: 10_000, retries: 1 });
    clients.push(client);
    const started = Date.now();
    const failure = await client.echo('hi').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(failure).toBeInstanceOf(LinkError);
    // The CLI says it in words, with exit 3, long before its 2 × 10 s of timeouts.
    const cliStarted = Date.now();
    const run = await runZdfu(['--conntype', 'udp', '--connstring', `127.0.0.1:${port}`, 'echo', 'hi'], {
      ZDFU_HOME: dir,
    });
    expect(Date.now() - cliStarted).toBeLessThan(5000);
    expect(run.code).toBe(3);
    expect(run.err).toBe(
      `Error: nothing listens on UDP 127.0.0.1:${port} (ICMP port unreachable): the device is off, its SMP server is not running, or the address or port is wrong\n`,
    );
  });

  it('the PTY closing mid-upload fails the upload within a second, as no-answer', async () => {
    const s = await sim(115200);
    const serial = await overSerial(s);
    let closedAt = 0;
    const failure = await serial
      .imageUpload(await signed(100_000, '3.0.0'), {
        onProgress: (p) => {
          if (closedAt === 0 && p.bytes > 4000) {
            closedAt = Date.now();
            void s.close();
          }
        },
      })
      .catch((e: unknown) => e);
    expect(Date.now() - closedAt).toBeLessThan(1000);
    expect(failure).toBeInstanceOf(LinkError);
    expect(exitCodeFor(failure)).toBe(3);
    expect((failure as Error).message).toMatch(/^serial port \/dev\/pts\/\d+ hung up/);
    // Later requests fail at once too.
    const later = Date.now();
    await expect(serial.echo('x')).rejects.toBe(failure);
    expect(Date.now() - later).toBeLessThan(100);
  }, 30_000);
});

describe('requests larger than the device receive buffer', () => {
  it('UDP: an upload with a link MTU above what the device reads falls back and completes', async () => {
    // A sim serving UDP is a UDP build: its params say 2048 (the netbuf, transport/Kconfig's
    // default with MCUMGR_TRANSPORT_UDP) but, like Zephyr's smp_udp, it reads 1500 at most.
    const s = await sim();
    const udp = await overUdp(s, 2048);
    const notices: string[] = [];
    const image = await signed(30_000, '3.0.0');
    const result = await udp.imageUpload(image, { onNotice: (text) => notices.push(text) });
    expect(result.total).toBe(image.length);
    expect(result.requestLimit).toBe(1024);
    expect(notices).toEqual([
      'The device did not answer 2048-byte upload requests but answers small ones: they are probably larger than its receive buffer (CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE, or the UART or UDP MTU). Continuing with 1024-byte requests.',
    ]);
  }, 30_000);

  it('serial: a forced request size above the netbuf falls back to what the device reports and completes', async () => {
    const s = await sim();
    const serial = await overSerial(s);
    const notices: string[] = [];
    const image = await signed(30_000, '3.0.0');
    const result = await serial.imageUpload(image, {
      requestLimit: 4096,
      onNotice: (text) => notices.push(text),
    });
    expect(result.total).toBe(image.length);
    // A sim serving UDP too is a UDP build: netbuf 2048 (transport/Kconfig), less length and CRC.
    expect(result.requestLimit).toBe(2044);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      /^The device did not answer 4096-byte upload requests .* Continuing with 2044-byte requests\.$/,
    );
  }, 30_000);

  it('serial: a too-long echo fails in words long before two timeouts', async () => {
    const s = await sim();
    const started = Date.now();
    const run = await runZdfu([...serialArgs(s), 'echo', 'x'.repeat(3000)], { ZDFU_HOME: dir });
    expect(Date.now() - started).toBeLessThan(8000);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      /^Error: os echo: the device answers small requests but not this 30\d\d-byte one; it is probably larger than its receive buffer \(CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE, or the UART or UDP MTU\): send a shorter text\n$/,
    );
  }, 30_000);

  it('UDP: a too-long echo fails in words long before two timeouts', async () => {
    const s = await sim();
    const udp = await overUdp(s, 4096);
    const started = Date.now();
    const failure = await udp.echo('y'.repeat(1700)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RequestTooLargeError);
    expect(Date.now() - started).toBeLessThan(6000);
  }, 30_000);
});

describe('resumed and repeated uploads on the real device', () => {
  it('with CONFIG_IMG_ENABLE_IMAGE_CHECK, an image the slot already holds is reported as nothing sent', async () => {
    const s = await sim(0, { ...getBoard('stm32f4_disco'), smpServer: { imageCheck: true } });
    const udp = await overUdp(s);
    const image = await signed(20_000, '3.0.0');
    expect((await udp.imageUpload(image)).sentBytes).toBe(image.length);
    const again = await udp.imageUpload(image);
    expect(again).toMatchObject({ resumedFrom: image.length, sentBytes: 0, match: true });
  }, 30_000);

  it('smp_svr (no image check) takes the same image again in full: the upload restarts', async () => {
    const s = await sim();
    const udp = await overUdp(s);
    const image = await signed(20_000, '3.0.0');
    expect((await udp.imageUpload(image)).sentBytes).toBe(image.length);
    const again = await udp.imageUpload(image);
    expect(again.sentBytes).toBe(image.length);
    expect(again.match).toBeUndefined();
  }, 30_000);
});
