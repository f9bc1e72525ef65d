/**
 * How zdfu serve's relay behaves when things go wrong: the device goes away mid-upload, the page
 * goes away, the page sends faster than the device takes, the page stops reading. Real virtual
 * boards where the behaviour is the device's; a controlled transport where it is the serve's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ROM_START_OFFSET } from '../../src/device/firmware/app-image.ts';
import { loadSigningKey } from '../../src/image/keys.ts';
import { signImage } from '../../src/image/sign.ts';
import { SERVE_CLOSE, SERVE_WS_PATH } from '../../src/serve/protocol.ts';
import type { ConnTarget } from '../../src/transport/kinds/kind.ts';
import { openNodeTarget } from '../../src/transport/kinds/node.ts';
import { LinkError } from '../../src/transport/link-error.ts';
import { SerialTransport } from '../../src/transport/serial.ts';
import type { Transport } from '../../src/transport/transport.ts';
import { TransportBase } from '../../src/transport/transport-base.ts';
import { ROOT } from '../device/server/fixtures.ts';
import { type Bench, startBench, until } from './helpers.ts';

let bench: Bench | undefined;

afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

/** A signed image of about `size` bytes for the stm32f4_disco slot (it need not boot to upload). */
async function signed(size: number, version: string): Promise<Uint8Array> {
  const key = await loadSigningKey(readFileSync(join(ROOT, 'keys', 'dev-rsa-2048.pem'), 'utf8'));
  const payload = new Uint8Array(size);
  for (let i = ROM_START_OFFSET; i < size; i++) payload[i] = (i * 7) & 0xff;
  return signImage(payload, { key, headerSize: ROM_START_OFFSET, slotSize: 0x60000, version, align: 1 });
}

describe('the device goes away', () => {
  it('serial: the PTY closing mid-upload fails the page’s upload within a second with the link error', async () => {
    bench = await startBench({ sim: { baud: 115200 } });
    const { client } = await bench.openPage('sim:stm32f4_disco/serial', 5000);
    let closedAt = 0;
    const failure = await client
      .imageUpload(await signed(100_000, '3.0.0'), {
        onProgress: (p) => {
          if (closedAt === 0 && p.bytes > 4000) {
            closedAt = Date.now();
            void bench!.sims[0]!.close();
          }
        },
      })
      .catch((e: unknown) => e);
    expect(closedAt).toBeGreaterThan(0);
    expect(Date.now() - closedAt).toBeLessThan(1000);
    expect(failure).toBeInstanceOf(LinkError);
    expect((failure as LinkError).closed).toBe(true);
    expect((failure as Error).message).toMatch(/^serial port \/dev\/pts\/\d+ hung up/);
    // Later requests fail at once with it, and the serve has let the device go.
    const later = Date.now();
    await expect(client.echo('x')).rejects.toBeInstanceOf(LinkError);
    expect(Date.now() - later).toBeLessThan(100);
    await until(() => bench!.serve.connectionCount() === 0, 'the serve to close the socket');
  }, 30_000);

  it('udp: the board stopping mid-upload fails the page’s upload at once (ICMP unreachable), not after timeouts', async () => {
    bench = await startBench();
    const { client } = await bench.openPage('sim:stm32f4_disco/udp', 5000);
    let closedAt = 0;
    const failure = await client
      .imageUpload(await signed(200_000, '3.0.0'), {
        onProgress: (p) => {
          if (closedAt === 0 && p.bytes > 20_000) {
            closedAt = Date.now();
            void bench!.sims[0]!.close();
          }
        },
      })
      .catch((e: unknown) => e);
    expect(closedAt).toBeGreaterThan(0);
    // Well inside the 5 s request timeout: the link error came through the serve.
    expect(Date.now() - closedAt).toBeLessThan(2000);
    expect(failure).toBeInstanceOf(LinkError);
    expect((failure as Error).message).toContain('ICMP port unreachable');
  }, 30_000);
});

describe('the page goes away', () => {
  it('closing the page’s socket closes the device link: the PTY is free again, and the target too', async () => {
    bench = await startBench();
    const sim = bench.sims[0]!;
    const { client, transport } = await bench.openPage('sim:stm32f4_disco/serial', 5000);
    expect(await client.echo('hi')).toBe('hi');
    // While the serve holds the port, nobody else can open it (serialport locks it).
    await expect(SerialTransport.open({ path: sim.ptyPath })).rejects.toThrow(/lock/i);
    // The same target cannot be opened twice through the serve either.
    await expect(bench.openPage('sim:stm32f4_disco/serial', 5000)).rejects.toMatchObject({ code: 'busy' });
    await transport.close();
    await until(() => bench!.serve.connectionCount() === 0, 'the serve to release the connection');
    const direct = await SerialTransport.open({ path: sim.ptyPath });
    await direct.close();
    const again = await bench.openPage('sim:stm32f4_disco/serial', 5000);
    expect(await again.client.echo('again')).toBe('again');
  }, 30_000);

  it('a socket dropped without a close handshake closes the device link too', async () => {
    const closes: string[] = [];
    bench = await startBench({
      serve: {
        openTarget: async (target: ConnTarget) => {
          const transport = await openNodeTarget(target);
          const close = transport.close.bind(transport);
          return Object.assign(transport, {
            close: async () => {
              closes.push(target.type);
              await close();
            },
          });
        },
      },
    });
    const ws = new WebSocket(`ws://127.0.0.1:${bench.serve.port}${SERVE_WS_PATH}`);
    await new Promise((resolve) => ws.on('open', resolve));
    const replies: string[] = [];
    ws.on('message', (data) => replies.push(String(data)));
    ws.send(JSON.stringify({ type: 'hello', protocol: 1, token: bench.serve.token }));
    ws.send(JSON.stringify({ type: 'open', target: 'sim:stm32f4_disco/udp' }));
    await until(() => replies.some((r) => r.includes('"opened"')), 'the device to open');
    expect(closes).toEqual([]);
    ws.terminate();
    await until(() => closes.length === 1, 'the device link to close');
    expect(closes).toEqual(['udp']);
  }, 30_000);
});

describe('console text', () => {
  it('the board’s console on its serial line reaches the page as text', async () => {
    bench = await startBench();
    const { client, transport } = await bench.openPage('sim:stm32f4_disco/serial', 5000);
    let text = '';
    transport.onText((t) => {
      text += t;
    });
    await client.reset();
    await until(() => text.includes('*** Booting Zephyr OS'), 'the boot banner', 10_000);
  }, 30_000);
});

/** A device link the test controls: sends wait until released; packets and text on demand. */
class HeldTransport extends TransportBase {
  readonly kind = 'serial' as const;
  readonly mtu = 2048;
  closed = false;
  private release: (() => void)[] = [];

  send(): Promise<void> {
    return new Promise((resolve) => this.release.push(resolve));
  }
  emitPacket(packet: Uint8Array): void {
    this.packetListeners.emit(packet);
  }
  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.release.splice(0)) r();
  }
}

async function rawOpen(
  b: Bench,
): Promise<{ ws: WebSocket; messages: string[]; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${b.serve.port}${SERVE_WS_PATH}`);
  const messages: string[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('message', (data, isBinary) => {
    if (!isBinary) messages.push(String(data));
  });
  await new Promise((resolve) => ws.on('open', resolve));
  ws.send(JSON.stringify({ type: 'hello', protocol: 1, token: b.serve.token }));
  ws.send(JSON.stringify({ type: 'open', target: 'sim:stm32f4_disco/serial' }));
  await until(() => messages.some((m) => m.includes('"opened"')), 'the device to open');
  return { ws, messages, closed };
}

describe('bounded queues', () => {
  it('packets the device does not take: beyond the limit the page is told and the socket closed', async () => {
    const held = new HeldTransport();
    bench = await startBench({
      serve: { openTarget: async (): Promise<Transport> => held, limits: { maxPendingToDevice: 8 } },
    });
    const { ws, messages, closed } = await rawOpen(bench);
    for (let i = 0; i < 20; i++) ws.send(new Uint8Array(64));
    const { code, reason } = await closed;
    expect(code).toBe(SERVE_CLOSE.overloaded.code);
    expect(reason).toBe(SERVE_CLOSE.overloaded.reason);
    const error = messages.map((m) => JSON.parse(m)).find((m) => m.type === 'error');
    expect(error).toEqual({
      type: 'error',
      code: 'queue-full',
      message:
        'more than 8 packets are waiting for sim:stm32f4_disco/serial; the page sends faster than the device takes them',
    });
    await until(() => held.closed, 'the device link to close');
  });

  it('a page that stops reading is closed once the bytes waiting for it pass the limit', async () => {
    const held = new HeldTransport();
    bench = await startBench({
      serve: { openTarget: async (): Promise<Transport> => held, limits: { maxBufferedToPage: 256 * 1024 } },
    });
    const { ws, closed } = await rawOpen(bench);
    let received = 0;
    ws.on('message', (_data, isBinary) => {
      if (isBinary) received++;
    });
    ws.pause();
    // Far more than the socket buffers of both ends hold (a few MB on Linux loopback); the
    // serve stops sending once 256 KiB wait unsent, and closes the socket.
    for (let i = 0; i < 400; i++) {
      held.emitPacket(new Uint8Array(60_000));
      await new Promise((resolve) => setImmediate(resolve));
    }
    ws.resume();
    const { code } = await closed;
    expect(code).toBe(SERVE_CLOSE.overloaded.code);
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(200);
    await until(() => held.closed, 'the device link to close');
  }, 30_000);
});
