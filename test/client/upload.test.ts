import { describe, expect, it } from 'vitest';
import { DeviceClient } from '../../src/client/device.ts';
import { defaultWindow, NotAnImageError, sha256, UploadError, uploadImage } from '../../src/client/upload.ts';
import { maxChunkData, requestLimit, requestSize } from '../../src/client/upload-sizing.ts';
import { buildTestImage, FakeSmpDevice, testImageHash } from './fake-smp-device.ts';

function connect(device: FakeSmpDevice): DeviceClient {
  return new DeviceClient(device.client, { timeoutMs: 200, retries: 0 });
}

describe('upload sizing', () => {
  it('computes the largest data length whose encoded request fits the limit', () => {
    for (const off of [0, 1, 23, 24, 255, 256, 65_535, 65_536]) {
      const fields =
        off === 0 ? { off, first: { len: 100_000, shaLength: 32, image: 0, upgrade: false } } : { off };
      for (const limit of [96, 128, 256, 380, 1024, 2048]) {
        const data = maxChunkData(fields, limit);
        expect(requestSize(fields, data)).toBeLessThanOrEqual(limit);
        expect(requestSize(fields, data + 1)).toBeGreaterThan(limit);
      }
    }
  });

  it('takes the smaller of link MTU and device buffer, minus serial length+CRC', () => {
    expect(requestLimit(256, 'serial', 384)).toBe(256);
    expect(requestLimit(1024, 'serial', 384)).toBe(380);
    expect(requestLimit(1024, 'udp', 384)).toBe(384);
    expect(requestLimit(1024, 'udp', undefined)).toBe(1024);
  });

  it('pipelines up to buf_count − 1 requests, at most 4, and stop-and-waits without params', () => {
    expect(defaultWindow(undefined)).toBe(1);
    expect(defaultWindow({ bufSize: 384, bufCount: 2 })).toBe(1);
    expect(defaultWindow({ bufSize: 384, bufCount: 4 })).toBe(3);
    expect(defaultWindow({ bufSize: 384, bufCount: 16 })).toBe(4);
  });
});

describe('uploadImage against a Zephyr-like device', () => {
  it('uploads every byte, first chunk with len+sha+image, each encoded request within the MTU', async () => {
    const device = new FakeSmpDevice({ mtu: 256, params: { buf_size: 384, buf_count: 4 }, imageCheck: true });
    const image = buildTestImage(5000);
    const seen: number[] = [];
    const result = await connect(device).imageUpload(image, { onProgress: (p) => seen.push(p.bytes) });

    expect(device.stored(image.length)).toEqual(image);
    expect(result.total).toBe(image.length);
    expect(result.match).toBe(true);
    expect(result.version).toBe('1.2.3');
    expect(result.imageHash).toEqual(testImageHash(image));
    expect(result.sha256).toEqual(await sha256(image));
    const [first, ...rest] = device.uploads;
    expect(first).toMatchObject({ off: 0, first: true, hasSha: true, hasLen: true, image: 0 });
    expect(rest.every((u) => !u.hasSha && !u.hasLen && u.image === undefined)).toBe(true);
    for (const u of device.uploads) expect(u.packetLength).toBeLessThanOrEqual(256);
    // Requests are filled, not fixed-size: all but the last continuation use the whole MTU.
    expect(rest.slice(0, -1).every((u) => u.packetLength >= 250)).toBe(true);
    expect(seen.at(-1)).toBe(image.length);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it('limits requests to the device buffer (buf_size − 4 on serial) when smaller than the link MTU', async () => {
    const device = new FakeSmpDevice({ mtu: 1024, params: { buf_size: 200, buf_count: 4 } });
    const link = { ...connect(device).uploadLink(), kind: 'serial' as const };
    await uploadImage(link, buildTestImage(3000));
    expect(Math.max(...device.uploads.map((u) => u.packetLength))).toBeLessThanOrEqual(196);
  });

  it('keeps several requests in flight when the device has buffers for them', async () => {
    const device = new FakeSmpDevice({ mtu: 256, params: { buf_size: 384, buf_count: 4 } });
    const result = await connect(device).imageUpload(buildTestImage(8000));
    expect(result.window).toBe(3);
    expect(device.maxQueued).toBe(3);
  });

  it('sends one request at a time when the device does not report its buffers', async () => {
    const device = new FakeSmpDevice({ mtu: 256 });
    await connect(device).imageUpload(buildTestImage(3000));
    expect(device.maxQueued).toBe(1);
  });

  it('resumes: a device already holding part of the same upload makes the client skip ahead', async () => {
    const image = buildTestImage(6000);
    const device = new FakeSmpDevice({ mtu: 256, params: { buf_size: 384, buf_count: 4 }, imageCheck: true });
    device.slot.set(image.subarray(0, 4000));
    device.upload = { off: 4000, size: image.length, sha: await sha256(image) };

    const result = await connect(device).imageUpload(image);
    expect(result.match).toBe(true);
    expect(device.stored(image.length)).toEqual(image);
    const continuation = device.uploads.filter((u) => !u.first);
    expect(continuation[0]?.off).toBe(4000);
    expect(device.uploads.filter((u) => u.first)).toHaveLength(1);
  });

  it('rewinds to the device offset when a request is lost in the middle of a window', async () => {
    const image = buildTestImage(6000);
    const device = new FakeSmpDevice({ mtu: 256, params: { buf_size: 384, buf_count: 5 }, imageCheck: true });
    device.dropRequest.add(6);
    const result = await connect(device).imageUpload(image, { timeoutMs: 100 });
    expect(result.match).toBe(true);
    expect(device.stored(image.length)).toEqual(image);
    const lostOff = device.uploads[5]?.off;
    expect(device.uploads.filter((u) => u.off === lostOff).length).toBeGreaterThanOrEqual(2);
  });

  it('retries after a dropped reply and still finishes', async () => {
    const image = buildTestImage(4000);
    const device = new FakeSmpDevice({ mtu: 256, imageCheck: true });
    device.dropReplyTo.add(3);
    const result = await connect(device).imageUpload(image, { timeoutMs: 40 });
    expect(result.timeouts).toBeGreaterThanOrEqual(1);
    expect(result.match).toBe(true);
    expect(device.stored(image.length)).toEqual(image);
  });

  it('retries a first chunk whose reply was lost: the resend resumes instead of restarting', async () => {
    const image = buildTestImage(2000);
    const device = new FakeSmpDevice({ mtu: 256, imageCheck: true });
    device.dropReplyTo.add(1);
    const result = await connect(device).imageUpload(image, { timeoutMs: 30, firstChunkTimeoutMs: 30 });
    expect(result.match).toBe(true);
    expect(device.uploads.filter((u) => u.first).length).toBeGreaterThanOrEqual(2);
    expect(device.stored(image.length)).toEqual(image);
  });

  it('gives up with a clear error after the retries are spent', async () => {
    const device = new FakeSmpDevice({ mtu: 256 });
    for (let n = 2; n <= 10; n++) device.dropReplyTo.add(n);
    const upload = connect(device).imageUpload(buildTestImage(4000), { timeoutMs: 20, retries: 2 });
    await expect(upload).rejects.toThrow(/did not answer the chunk at offset \d+ after 3 tries/);
    await expect(upload).rejects.toBeInstanceOf(UploadError);
  });

  it('fails when the device reports match=false', async () => {
    const device = new FakeSmpDevice({ mtu: 256, imageCheck: true });
    device.corruptStored = true;
    await expect(connect(device).imageUpload(buildTestImage(1000))).rejects.toThrow(/match=false/);
  });

  it('passes device errors through in words (image too large for the slot)', async () => {
    const device = new FakeSmpDevice({ mtu: 256, slotSize: 1024 });
    await expect(connect(device).imageUpload(buildTestImage(2000))).rejects.toThrow(/too large/);
  });

  it('refuses a file that is not an MCUboot image unless forced', async () => {
    const device = new FakeSmpDevice({ mtu: 256 });
    const junk = new Uint8Array(500).fill(0x42);
    await expect(connect(device).imageUpload(junk)).rejects.toBeInstanceOf(NotAnImageError);
    expect(device.uploads).toHaveLength(0);
    // Forced, it reaches the device, which rejects the header magic itself.
    await expect(connect(device).imageUpload(junk, { force: true })).rejects.toThrow(/magic/);
  });

  it('refuses an MTU too small for the first chunk', async () => {
    const device = new FakeSmpDevice({ mtu: 80 });
    await expect(connect(device).imageUpload(buildTestImage(1000))).rejects.toThrow(
      /too small for the first upload chunk/,
    );
  });

  it('stops when aborted', async () => {
    const device = new FakeSmpDevice({ mtu: 256 });
    const abort = new AbortController();
    const upload = connect(device).imageUpload(buildTestImage(20_000), {
      signal: abort.signal,
      onProgress: (p) => {
        if (p.bytes > 2000) abort.abort();
      },
    });
    await expect(upload).rejects.toThrow(/abort/i);
    expect(device.uploads.length).toBeLessThan(40);
  });

  it('never reports success before the device acknowledged off == len', async () => {
    const image = buildTestImage(1500);
    const device = new FakeSmpDevice({ mtu: 256 });
    // The device loses its upload state halfway (as after an error or a reboot): it answers off 0.
    let once = true;
    const link = connect(device).uploadLink();
    const wrapped = {
      ...link,
      sendChunk: async (...args: Parameters<typeof link.sendChunk>) => {
        const reply = await link.sendChunk(...args);
        if (once && args[0].off > 500) {
          once = false;
          device.upload = undefined;
          return { off: 0 };
        }
        return reply;
      },
    };
    const result = await uploadImage(wrapped, image);
    expect(result.total).toBe(image.length);
    expect(device.uploads.filter((u) => u.first)).toHaveLength(2);
    expect(device.stored(image.length)).toEqual(image);
  });
});

describe('request size without a user mtu', () => {
  it('follows the device buffer on serial, and falls back to 256 when the device does not say', async () => {
    const { requestLimit } = await import('../../src/client/upload-sizing.ts');
    expect(requestLimit(65_533, 'serial', 2048)).toBe(2044);
    expect(requestLimit(65_533, 'serial', undefined)).toBe(256);
    expect(requestLimit(256, 'serial', 2048)).toBe(256);
    expect(requestLimit(1024, 'udp', undefined)).toBe(1024);
  });
});
