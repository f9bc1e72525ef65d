import { afterEach, describe, expect, it } from 'vitest';
import { DeviceClient } from '../../../src/client/device.ts';
import { BleEndpoint } from '../../../src/device/transport/ble.ts';
import { encodePacket } from '../../../src/smp/codec.ts';
import { SMP_SERVICE, SmpPieceWriter } from '../../../src/transport/ble-smp.ts';
import { LinkError } from '../../../src/transport/link-error.ts';
import type { Transport } from '../../../src/transport/transport.ts';
import {
  openWebBluetoothTransport,
  requestWebBluetoothTransport,
  WEB_BLUETOOTH_FRAGMENT_SIZE,
  WebBluetoothTransport,
} from '../../../src/transport/web/web-bluetooth.ts';
import { type BootedDevice, blinky, bootDevice } from '../../device/server/fixtures.ts';
import { asBluetooth, asDevice, FakeBluetooth, FakeBluetoothDevice } from './fake-web-bluetooth.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});

/** A booted virtual board served over BLE (its real endpoint) to fake Web Bluetooth objects. */
async function boardOverBle(
  attMtu: number,
): Promise<{ board: BootedDevice; device: FakeBluetoothDevice; endpoint: BleEndpoint }> {
  const board = await bootDevice();
  cleanups.push(() => board.close());
  const endpoint = new BleEndpoint({
    netbufSize: board.device.smpBuild.netbufSize,
    buffers: board.device.smpBuffers,
    handle: (packet, buffer) => board.device.handleRequest(packet, buffer),
  });
  return { board, device: new FakeBluetoothDevice('Zephyr', { attMtu, endpoint }), endpoint };
}

/** A device whose endpoint answers nothing, for link-level tests. */
function silentDevice(): FakeBluetoothDevice {
  const endpoint = new BleEndpoint({
    netbufSize: 512,
    buffers: { take: () => undefined, release: () => undefined } as never,
    handle: async () => [],
  });
  return new FakeBluetoothDevice('Zephyr', { attMtu: 247, endpoint });
}

function track<T extends Transport>(transport: T): T {
  cleanups.push(() => transport.close());
  return transport;
}

const echoRequest = encodePacket(
  { version: 1, op: 2, flags: 0, group: 0, sequence: 1, command: 0 },
  { d: 'x' },
);

describe('Web Bluetooth transport against the virtual board’s BLE endpoint', () => {
  it('requests a device by the SMP service, connects, and talks SMP', async () => {
    const { device } = await boardOverBle(247);
    const bluetooth = new FakeBluetooth(device);
    const transport = track(await requestWebBluetoothTransport({ bluetooth: asBluetooth(bluetooth) }));
    expect(bluetooth.requests).toEqual([{ filters: [{ services: [SMP_SERVICE] }] }]);
    expect(transport.kind).toBe('ble');
    expect(transport.fragmentSize).toBe(WEB_BLUETOOTH_FRAGMENT_SIZE);
    expect(WEB_BLUETOOTH_FRAGMENT_SIZE).toBe(244);
    const client = new DeviceClient(transport, { timeoutMs: 3000, retries: 0 });
    // A long echo: the request goes in several writes, the response in several notifications.
    const long = 'over Web Bluetooth '.repeat(15);
    expect(await client.echo(long)).toBe(long);
    const writes = device.gatt.service!.characteristic.writes;
    expect(writes.length).toBeGreaterThan(1);
    expect(Math.max(...writes)).toBeLessThanOrEqual(244);
  });

  it('a name prefix lists devices by name and still asks for the SMP service', async () => {
    const { device } = await boardOverBle(247);
    const bluetooth = new FakeBluetooth(device);
    track(await requestWebBluetoothTransport({ bluetooth: asBluetooth(bluetooth), namePrefix: 'Zeph' }));
    expect(bluetooth.requests).toEqual([
      { filters: [{ namePrefix: 'Zeph' }], optionalServices: [SMP_SERVICE] },
    ]);
  });

  it('uploads an image on a 23-byte ATT MTU: small pieces, requests never interleaved, the device joins them', async () => {
    const { device, endpoint } = await boardOverBle(23);
    const transport = track(await openWebBluetoothTransport(asDevice(device), { fragmentSize: 20 }));
    const client = new DeviceClient(transport, { timeoutMs: 5000, retries: 0 });
    const image = await blinky('blinky-two');
    const result = await client.imageUpload(image);
    expect(result.total).toBe(image.length);
    // Several requests were in flight at once (the device reports its buffers), yet the endpoint
    // dropped nothing: every request's pieces arrived together.
    expect(result.requests).toBeGreaterThan(10);
    expect(
      endpoint.stats.droppedOverrun + endpoint.stats.droppedShortHeader + endpoint.stats.droppedOversize,
    ).toBe(0);
    expect(Math.max(...device.gatt.service!.characteristic.writes)).toBe(20);
    const list = await client.imageList();
    expect(list.images.some((slot) => slot.slot === 1)).toBe(true);
  }, 60_000);

  it('reconnects on the next request after the board resets and drops the link', async () => {
    const { device } = await boardOverBle(247);
    const transport = track(await openWebBluetoothTransport(asDevice(device)));
    const client = new DeviceClient(transport, { timeoutMs: 3000, retries: 0 });
    const errors: LinkError[] = [];
    transport.onLinkError((error) => errors.push(error));
    expect(await client.echo('before')).toBe('before');
    device.dropLink();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.closed).toBe(false);
    expect(errors[0]!.message).toBe(
      'the BLE device "Zephyr" (dGVzdC1kZXZpY2U=) disconnected: it reset, went out of range, or was switched off; the next request connects again',
    );
    expect(await client.echo('after')).toBe('after');
    expect(device.gatt.connects).toBe(2);
  });
});

describe('Web Bluetooth transport: the link', () => {
  it('without reconnect, a disconnect closes the link: sends fail at once with the LinkError', async () => {
    const device = silentDevice();
    const transport = track(await openWebBluetoothTransport(asDevice(device), { reconnect: false }));
    expect(transport).toBeInstanceOf(WebBluetoothTransport);
    const errors: LinkError[] = [];
    transport.onLinkError((error) => errors.push(error));
    device.dropLink();
    expect(errors.map((e) => [e.closed, e.message])).toEqual([
      [
        true,
        'the BLE device "Zephyr" (dGVzdC1kZXZpY2U=) disconnected: it reset, went out of range, or was switched off',
      ],
    ]);
    await expect(transport.send(echoRequest)).rejects.toBe(errors[0]);
  });

  it('close disconnects and stops listening', async () => {
    const device = silentDevice();
    const transport = await openWebBluetoothTransport(asDevice(device), { reconnect: false });
    const packets: Uint8Array[] = [];
    transport.onPacket((packet) => packets.push(packet));
    const characteristic = device.gatt.service!.characteristic;
    await transport.close();
    expect(device.gatt.connected).toBe(false);
    characteristic.value = new DataView(echoRequest.slice().buffer);
    characteristic.dispatchEvent(new Event('characteristicvaluechanged'));
    expect(packets).toEqual([]);
    await expect(transport.send(echoRequest)).rejects.toThrow(
      'BLE link to "Zephyr" (dGVzdC1kZXZpY2U=) is closed',
    );
  });

  it('every connection step is bounded and names the step; the half-open connection is dropped', async () => {
    for (const step of ['connect', 'service', 'characteristic', 'notifications'] as const) {
      const device = silentDevice();
      device.fault = { step, hang: true };
      const started = Date.now();
      const failure = await openWebBluetoothTransport(asDevice(device), { stepTimeoutMs: 50 }).catch(
        (error: unknown) => error as Error,
      );
      expect(Date.now() - started).toBeLessThan(1000);
      const what = {
        connect: 'accept a connection',
        service: 'answer GATT discovery',
        characteristic: 'list the SMP characteristic',
        notifications: 'turn notifications on',
      }[step];
      expect((failure as Error).message).toBe(
        `the BLE device "Zephyr" (dGVzdC1kZXZpY2U=) did not ${what} within 0.05 s`,
      );
      expect(device.gatt.connected).toBe(false);
      // A connect that timed out is aborted, so it cannot finish later and hold the device.
      expect(device.gatt.abortedConnects).toBe(step === 'connect' ? 1 : 0);
    }
  });

  it('a device without the SMP service, a closed chooser and a bad write size fail in words', async () => {
    const device = silentDevice();
    device.fault = { step: 'service', error: 'NotFoundError' };
    await expect(openWebBluetoothTransport(asDevice(device))).rejects.toThrow(
      `the BLE device "Zephyr" (dGVzdC1kZXZpY2U=) does not serve the SMP service (${SMP_SERVICE}): its firmware needs CONFIG_MCUMGR_TRANSPORT_BT`,
    );
    const away = silentDevice();
    away.fault = { step: 'connect', error: 'NetworkError' };
    await expect(openWebBluetoothTransport(asDevice(away))).rejects.toThrow(
      'could not connect to the BLE device "Zephyr" (dGVzdC1kZXZpY2U=) (Connection Error: Connection attempt failed.): ' +
        'check that it is powered, in range and advertising, and not connected to another central',
    );
    await expect(
      requestWebBluetoothTransport({ bluetooth: asBluetooth(new FakeBluetooth(undefined)) }),
    ).rejects.toThrow(
      /^no BLE device was chosen \(User cancelled the requestDevice\(\) chooser\.\): pick the board/,
    );
    await expect(openWebBluetoothTransport(asDevice(silentDevice()), { fragmentSize: 600 })).rejects.toThrow(
      "fragmentSize 600 is not a BLE write size: give the device's ATT MTU − 3, from 20 (MTU 23) to 512",
    );
    const navigator = (globalThis as { navigator?: object }).navigator;
    if (navigator === undefined || !('bluetooth' in navigator)) {
      await expect(requestWebBluetoothTransport()).rejects.toThrow(/^this browser has no Web Bluetooth/);
    }
  });

  it('a write the device never takes is bounded and ends the link', async () => {
    const device = silentDevice();
    const transport = track(
      await openWebBluetoothTransport(asDevice(device), { reconnect: false, writeTimeoutMs: 50 }),
    );
    device.fault = { step: 'write', hang: true };
    const failure = await transport.send(echoRequest).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LinkError);
    expect((failure as LinkError).closed).toBe(true);
    expect((failure as Error).message).toBe(
      'a write to the BLE device "Zephyr" (dGVzdC1kZXZpY2U=) failed: the browser did not finish a 13-byte write within 0.05 s',
    );
  });
});

describe('SmpPieceWriter', () => {
  it('never interleaves two requests’ pieces, even when the first piece write is slow', async () => {
    const written: string[] = [];
    const writer = new SmpPieceWriter(2, async (piece) => {
      if (piece[0] === 1) await new Promise((resolve) => setTimeout(resolve, 20));
      written.push(Array.from(piece).join(''));
    });
    await Promise.all([writer.write(Uint8Array.of(1, 1, 1, 1, 1)), writer.write(Uint8Array.of(2, 2, 2))]);
    expect(written).toEqual(['11', '11', '1', '22', '2']);
  });

  it('a failed request does not stop the next one', async () => {
    let fail = true;
    const written: number[] = [];
    const writer = new SmpPieceWriter(4, async (piece) => {
      if (fail) {
        fail = false;
        throw new Error('radio busy');
      }
      written.push(piece.length);
    });
    const first = writer.write(new Uint8Array(6));
    const second = writer.write(new Uint8Array(3));
    await expect(first).rejects.toThrow('radio busy');
    await second;
    expect(written).toEqual([3]);
  });
});
