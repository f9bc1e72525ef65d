import { describe, expect, it } from 'vitest';
import { BleEndpoint, notifications } from '../../../src/device/transport/ble.ts';
import { SmpBufferPool } from '../../../src/device/transport/smp-buffers.ts';

/** An SMP request header naming a body of `length` bytes, then the body. */
function request(length: number, fill = 0xa0): Uint8Array {
  const bytes = new Uint8Array(8 + length).fill(fill);
  bytes.set([0x0a, 0, length >> 8, length & 0xff, 0, 0, 7, 0]);
  return bytes;
}

describe('BLE endpoint (smp_bt.c with reassembly)', () => {
  function endpoint() {
    const served: Uint8Array[] = [];
    const buffers = new SmpBufferPool(4);
    const ble = new BleEndpoint({
      netbufSize: 100,
      buffers,
      handle: async (packet, buffer) => {
        served.push(packet);
        buffers.release(buffer);
        return [packet];
      },
    });
    return { ble, served, buffers };
  }

  it('serves a request in one write, or collected over several writes by its header length', async () => {
    const { ble, served } = endpoint();
    const whole = request(30);
    expect(await ble.write('c1', whole)).toEqual([whole]);
    const split = request(60, 0x55);
    expect(await ble.write('c1', split.subarray(0, 20))).toEqual([]);
    // Another central's writes do not mix with it.
    expect(await ble.write('c2', request(2))).toHaveLength(1);
    expect(await ble.write('c1', split.subarray(20, 50))).toEqual([]);
    expect(await ble.write('c1', split.subarray(50))).toEqual([split]);
    expect(served).toHaveLength(3);
    expect(ble.stats.requests).toBe(3);
  });

  it('drops, and counts, what Zephyr drops; the next request is served', async () => {
    const { ble, served } = endpoint();
    await ble.write('c', Uint8Array.of(0x0a, 0, 0)); // shorter than the header
    await ble.write('c', request(93)); // 101 bytes > the 100-byte buffer
    const overrun = request(4);
    await ble.write('c', overrun.subarray(0, 10));
    await ble.write('c', Uint8Array.of(1, 2, 3, 4, 5)); // 15 bytes for a 12-byte request
    await ble.write('c', request(10).subarray(0, 9));
    ble.forget('c'); // notifications off / disconnected mid-request
    expect(served).toEqual([]);
    expect(ble.stats).toEqual({
      requests: 0,
      droppedShortHeader: 1,
      droppedOversize: 1,
      droppedOverrun: 1,
      droppedPartial: 1,
      droppedNoBuffer: 0,
    });
    expect(await ble.write('c', request(1))).toHaveLength(1);
  });

  it('drops a request whose first write finds every SMP buffer taken, and reads what follows as new requests', async () => {
    // The work queue handles nothing until released: requests hold the pool's 4 buffers.
    const buffers = new SmpBufferPool(4);
    const releases: (() => void)[] = [];
    const ble = new BleEndpoint({
      netbufSize: 100,
      buffers,
      handle: (packet, buffer) =>
        new Promise((resolve) =>
          releases.push(() => {
            buffers.release(buffer);
            resolve([packet]);
          }),
        ),
    });
    // Another transport (the UART) holds one buffer meanwhile: the pool is the device's.
    const uart = buffers.take();
    const answers = [ble.write('c', request(1, 1)), ble.write('c', request(1, 2))];
    expect(buffers.inUse).toBe(3);
    const third = request(20, 3);
    await ble.write('c', third.subarray(0, 10)); // takes the last buffer while it is collected
    expect(buffers.inUse).toBe(4);
    answers.push(ble.write('c', third.subarray(10)));
    const fourth = request(20, 4);
    expect(await ble.write('c', fourth.subarray(0, 10))).toEqual([]);
    expect(ble.stats.droppedNoBuffer).toBe(1);
    // Its second write is read as a request of its own: a header of fill bytes names 0x0404
    // bytes, more than the buffer, so it is dropped too (as smp_reassembly_collect would).
    expect(await ble.write('c', fourth.subarray(10))).toEqual([]);
    expect(ble.stats.droppedOversize).toBe(1);
    for (const release of releases.splice(0)) release();
    expect((await Promise.all(answers)).map((responses) => responses[0]?.[8])).toEqual([1, 2, 3]);
    if (uart) buffers.release(uart);
    expect(buffers.inUse).toBe(0);
    // A partial request dropped by a disconnect gives its buffer back.
    await ble.write('c', request(20, 5).subarray(0, 10));
    expect(buffers.inUse).toBe(1);
    ble.forget('c');
    expect(buffers.inUse).toBe(0);
  });

  it('cuts a response into notifications of ATT_MTU − 3 bytes, never below 20', () => {
    const response = request(100);
    const pieces = notifications(response, 20);
    expect(pieces.map((p) => p.length)).toEqual([20, 20, 20, 20, 20, 8]);
    expect(Buffer.concat(pieces)).toEqual(Buffer.from(response));
    expect(notifications(response, 495)).toHaveLength(1);
    expect(notifications(response, 5).every((p) => p.length <= 20)).toBe(true);
  });
});
