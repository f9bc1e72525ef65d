import { afterEach, describe, expect, it } from 'vitest';
import { DeviceClient } from '../../../src/client/device.ts';
import { encodePacket } from '../../../src/smp/codec.ts';
import { LinkError } from '../../../src/transport/link-error.ts';
import { encodeSerialFrame, SERIAL_MAX_PACKET } from '../../../src/transport/serial-framing.ts';
import type { Transport } from '../../../src/transport/transport.ts';
import { openWebSerialTransport, requestWebSerialTransport } from '../../../src/transport/web/web-serial.ts';
import { type BootedDevice, blinky, bootDevice } from '../../device/server/fixtures.ts';
import { FakeSerial, FakeSerialPort } from './fake-serial-port.ts';

const ZEPHYR_USB = { usbVendorId: 0x2fe3, usbProductId: 0x0100 };
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});

/** A booted virtual board whose UART is behind a fake Web Serial port. */
async function boardBehindPort(): Promise<{ board: BootedDevice; port: FakeSerialPort }> {
  const board = await bootDevice();
  cleanups.push(() => board.close());
  const port = new FakeSerialPort(ZEPHYR_USB, (bytes) => board.device.uartReceive(bytes));
  board.device.onUart((bytes) => port.deliver(bytes));
  return { board, port };
}

function track<T extends Transport>(transport: T): T {
  cleanups.push(() => transport.close());
  return transport;
}

/** A port whose device answers nothing (for link-level tests). */
function silentPort(): FakeSerialPort {
  return new FakeSerialPort(ZEPHYR_USB, () => undefined);
}

const echoRequest = encodePacket(
  { version: 1, op: 2, flags: 0, group: 0, sequence: 1, command: 0 },
  { d: 'x' },
);

describe('Web Serial transport over a virtual board’s UART', () => {
  it('talks SMP to the board, sees its console, and sizes requests from its buffer', async () => {
    const { board, port } = await boardBehindPort();
    const transport = track(await openWebSerialTransport(port));
    expect(port.openedWith).toEqual({ baudRate: 115200, bufferSize: 4096 });
    expect(transport.kind).toBe('serial');
    expect(transport.mtu).toBe(SERIAL_MAX_PACKET);
    expect(transport.where).toBe('Web Serial port USB 2fe3:0100');
    const client = new DeviceClient(transport, { timeoutMs: 3000, retries: 0 });
    const texts: string[] = [];
    transport.onText((text) => texts.push(text));

    const long = 'over Web Serial '.repeat(20);
    expect(await client.echo(long)).toBe(long);
    const before = await client.imageList();
    expect(before.images[0]?.slot).toBe(0);

    // An upload in many framed requests; the board's buffer sizes them.
    const image = await blinky('blinky-two');
    const result = await client.imageUpload(image);
    expect(result.total).toBe(image.length);
    const after = await client.imageList();
    expect(after.images.some((slot) => slot.slot === 1)).toBe(true);

    // A reset: MCUboot's and Zephyr's lines come between frames, as console text.
    await client.reset();
    const deadline = Date.now() + 5000;
    while (!texts.some((text) => text.includes('Booting Zephyr'))) {
      if (Date.now() > deadline) throw new Error(`no boot banner in:\n${texts.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(board.device.state).toBe('running');
  }, 30_000);

  it('requestWebSerialTransport passes the filters to the chooser and opens the chosen port', async () => {
    const { port } = await boardBehindPort();
    const serial = new FakeSerial(port);
    const transport = track(
      await requestWebSerialTransport({ serial, filters: [{ usbVendorId: 0x2fe3 }], baudRate: 1_000_000 }),
    );
    expect(serial.requests).toEqual([{ filters: [{ usbVendorId: 0x2fe3 }] }]);
    expect(port.openedWith?.baudRate).toBe(1_000_000);
    const client = new DeviceClient(transport, { timeoutMs: 3000, retries: 0 });
    expect(await client.echo('chosen')).toBe('chosen');
  });
});

describe('Web Serial transport: the link', () => {
  it('a closed chooser, a missing API and a busy port fail in words', async () => {
    await expect(requestWebSerialTransport({ serial: new FakeSerial(undefined) })).rejects.toThrow(
      'no serial port was chosen: pick the board in the browser’s port list',
    );
    const navigator = (globalThis as { navigator?: unknown }).navigator;
    if (navigator === undefined || !('serial' in (navigator as object))) {
      await expect(requestWebSerialTransport()).rejects.toThrow(
        /this browser has no Web Serial \(navigator\.serial\): use Chrome, Edge or Opera/,
      );
    }
    const busy = silentPort();
    busy.openBehaviour = new DOMException('Failed to open serial port.', 'NetworkError');
    await expect(openWebSerialTransport(busy)).rejects.toThrow(
      'cannot open Web Serial port USB 2fe3:0100 at 115200 baud: Failed to open serial port. (another program holds the port, or the device is gone)',
    );
  });

  it('an open that never finishes is bounded', async () => {
    const port = silentPort();
    port.openBehaviour = 'hang';
    const started = Date.now();
    await expect(openWebSerialTransport(port, { openTimeoutMs: 100 })).rejects.toThrow(
      'cannot open Web Serial port USB 2fe3:0100 at 115200 baud: Web Serial port USB 2fe3:0100 did not open within 0.1 s at 115200 baud',
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('unplugging fails sends at once with a closed LinkError naming the port', async () => {
    const port = silentPort();
    const transport = track(await openWebSerialTransport(port));
    const errors: LinkError[] = [];
    transport.onLinkError((error) => errors.push(error));
    port.unplug();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.closed).toBe(true);
    expect(errors[0]!.message).toBe(
      'Web Serial port USB 2fe3:0100 was disconnected: the device was unplugged or reset its USB',
    );
    await expect(transport.send(echoRequest)).rejects.toBe(errors[0]);
    // Closing a lost port still finishes.
    await transport.close();
  });

  it('a fatal read error without a disconnect event ends the link too', async () => {
    const port = silentPort();
    const transport = track(await openWebSerialTransport(port));
    const errors: LinkError[] = [];
    transport.onLinkError((error) => errors.push(error));
    port.failRead('NetworkError', 'The device has been lost.', true);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(errors.map((e) => e.message)).toEqual([
      'Web Serial port USB 2fe3:0100 stopped delivering data (The device has been lost.): the device was unplugged or its driver failed',
    ]);
  });

  it('a line error (break) is survived: the next frame still arrives', async () => {
    const port = silentPort();
    const transport = track(await openWebSerialTransport(port));
    const packets: Uint8Array[] = [];
    const errors: LinkError[] = [];
    transport.onPacket((packet) => packets.push(packet));
    transport.onLinkError((error) => errors.push(error));
    await new Promise((resolve) => setTimeout(resolve, 10));
    port.failRead('BreakError', 'Break received', false);
    await new Promise((resolve) => setTimeout(resolve, 10));
    port.deliver(encodeSerialFrame(echoRequest));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(errors).toEqual([]);
    expect(packets).toEqual([echoRequest]);
  });

  it('a write the port never takes is bounded and ends the link', async () => {
    const port = silentPort();
    port.holdWrites = true;
    const transport = track(await openWebSerialTransport(port, { writeTimeoutMs: 100 }));
    const started = Date.now();
    const failure = await transport.send(echoRequest).catch((error: unknown) => error);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(failure).toBeInstanceOf(LinkError);
    expect((failure as Error).message).toMatch(
      /^Web Serial port USB 2fe3:0100 did not take \d+ bytes within 0\.1 s: the device stopped reading/,
    );
    const closing = Date.now();
    await transport.close();
    expect(Date.now() - closing).toBeLessThan(5000);
  });

  it('close releases both streams and closes the port; nothing arrives afterwards', async () => {
    const port = silentPort();
    const transport = await openWebSerialTransport(port);
    const packets: Uint8Array[] = [];
    transport.onPacket((packet) => packets.push(packet));
    await transport.send(echoRequest);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(port.readable?.locked).toBe(true);
    expect(port.writable?.locked).toBe(true);
    await transport.close();
    expect(port.state).toBe('closed');
    expect(port.readable).toBeNull();
    expect(port.writable).toBeNull();
    port.deliver(encodeSerialFrame(echoRequest));
    expect(packets).toEqual([]);
    await expect(transport.send(echoRequest)).rejects.toThrow('Web Serial port USB 2fe3:0100 is closed');
    // The port can be opened again (another transport, after a page's reconnect button).
    const again = track(await openWebSerialTransport(port));
    expect(port.state).toBe('opened');
    await again.close();
  });
});
