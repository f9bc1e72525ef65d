import { describe, expect, it } from 'vitest';
import { DeviceClient } from '../../src/client/device.ts';
import {
  defaultWindow,
  NotAnImageError,
  sha256,
  UploadAbortedError,
  UploadConflictError,
  UploadError,
  type UploadLink,
  uploadImage,
} from '../../src/client/upload.ts';
import { maxChunkData, requestLimit, requestSize } from '../../src/client/upload-sizing.ts';
import { LinkError } from '../../src/transport/link-error.ts';
import { faultOf } from '../../src/util/fault.ts';
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

  it('splits BLE requests over writes only for a device that reports its buffer', () => {
    // ATT MTU 247: 244 bytes per write; a device with a 2048-byte buffer joins them.
    expect(requestLimit(65543, 'ble', 2048, 244)).toBe(2048);
    expect(requestLimit(65543, 'ble', undefined, 244)).toBe(244);
  });

  it('pipelines up to buf_count − 1 requests on serial and UDP, at most 4, and stop-and-waits without params', () => {
    expect(defaultWindow(undefined, 'serial', 256)).toBe(1);
    expect(defaultWindow({ bufSize: 384, bufCount: 2 }, 'serial', 380)).toBe(1);
    expect(defaultWindow({ bufSize: 384, bufCount: 4 }, 'udp', 384)).toBe(3);
    expect(defaultWindow({ bufSize: 384, bufCount: 16 }, 'serial', 380)).toBe(4);
    expect(defaultWindow({ bufSize: 384, bufCount: 4 }, 'memory', 384)).toBe(3);
  });

  it('keeps about 16 KiB on the air over BLE, never fewer requests than the buffers allow', () => {
    expect(defaultWindow(undefined, 'ble', 244)).toBe(1);
    expect(defaultWindow({ bufSize: 2048, bufCount: 4 }, 'ble', 2048)).toBe(8);
    expect(defaultWindow({ bufSize: 2475, bufCount: 4 }, 'ble', 2475)).toBe(7);
    expect(defaultWindow({ bufSize: 384, bufCount: 4 }, 'ble', 384)).toBe(16);
    expect(defaultWindow({ bufSize: 8192, bufCount: 6 }, 'ble', 8192)).toBe(5);
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

    const seen: Array<{ bytes: number; sentBytes: number; resumedFrom: number }> = [];
    const result = await connect(device).imageUpload(image, {
      onProgress: ({ bytes, sentBytes, resumedFrom }) => seen.push({ bytes, sentBytes, resumedFrom }),
    });
    expect(result.match).toBe(true);
    expect(device.stored(image.length)).toEqual(image);
    // Counted: what this run sent, apart from what the device already held.
    expect(result).toMatchObject({ total: 6072, resumedFrom: 4000, sentBytes: 2072 });
    expect(seen.every((p) => p.resumedFrom === 4000 && p.sentBytes === p.bytes - 4000)).toBe(true);
    expect(seen[0]).toEqual({ bytes: 4000, sentBytes: 0, resumedFrom: 4000 });
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

  it('halves its window when a request goes missing, then grows it again', async () => {
    const image = buildTestImage(12000);
    const device = new FakeSmpDevice({ mtu: 256, params: { buf_size: 384, buf_count: 4 }, imageCheck: true });
    device.dropRequest.add(12);
    const result = await connect(device).imageUpload(image, { timeoutMs: 100, window: 8 });
    expect(result.match).toBe(true);
    expect(device.stored(image.length)).toEqual(image);
    const lostOff = device.uploads[11]?.off;
    const resent = device.uploads.findIndex((u, i) => i > 11 && u.off === lostOff);
    // Before the loss the full window of 8 was out; the resend goes out with a window of 4.
    expect(device.uploads[11]?.waiting).toBe(7);
    expect(device.uploads[resent]?.waiting).toBeLessThanOrEqual(3);
    expect(Math.max(...device.uploads.slice(resent).map((u) => u.waiting))).toBeGreaterThan(3);
  });

  it('takes answers that arrive out of order (UDP over Wi-Fi) as late news, not as another client', async () => {
    const image = buildTestImage(12000);
    const device = new FakeSmpDevice({ mtu: 256, params: { buf_size: 384, buf_count: 5 }, imageCheck: true });
    const inner = connect(device).uploadLink();
    let calls = 0;
    // Every third answer is held back until the next one has been delivered.
    const link: UploadLink = {
      ...inner,
      sendChunk: async (request, options) => {
        const late = ++calls % 3 === 0;
        const response = await inner.sendChunk(request, options);
        if (late) await new Promise((resolve) => setTimeout(resolve, 20));
        return response;
      },
    };
    const result = await uploadImage(link, image);
    expect(result.match).toBe(true);
    expect(device.stored(image.length)).toEqual(image);
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

  it('fails when the device reports match=false, as a device fault', async () => {
    const device = new FakeSmpDevice({ mtu: 256, imageCheck: true });
    device.corruptStored = true;
    const error = await connect(device)
      .imageUpload(buildTestImage(1000))
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/match=false/);
    expect(faultOf(error)).toBe('device');
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
    const error = await upload.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadAbortedError);
    expect((error as UploadAbortedError).name).toBe('AbortError');
    const offset = (error as UploadAbortedError).offset;
    expect(offset).toBe(device.upload?.off);
    expect((error as Error).message).toBe(
      `Upload interrupted at byte ${offset} of 20072 (${Math.floor((offset * 100) / 20072)}%). The device keeps this upload until it resets or another upload starts: run the same command again to resume from there.`,
    );
    expect(device.uploads.length).toBeLessThan(40);
  });

  it('stops in words instead of starting over when the device answers off 0 halfway', async () => {
    const image = buildTestImage(1500);
    const device = new FakeSmpDevice({ mtu: 256 });
    // The device loses its upload state halfway (another client finished one, or a reboot): off 0.
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
    const error = await uploadImage(wrapped, image).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadConflictError);
    expect(faultOf(error)).toBe('device');
    expect((error as Error).message).toMatch(
      /^The device's upload went back from byte \d+ to 0 of 1572: another client finished or dropped an upload, or the device restarted\. Stopped rather than fight/,
    );
    // Never silently restarted.
    expect(device.uploads.filter((u) => u.first)).toHaveLength(1);
  });

  it('stops when another client starts its own upload: the device offset goes back', async () => {
    const ours = buildTestImage(6000);
    const theirs = buildTestImage(3000, { major: 9, minor: 0, revision: 0, build: 0 });
    const device = new FakeSmpDevice({ mtu: 256, params: { buf_size: 384, buf_count: 4 }, imageCheck: true });
    // A second client on its own link, as a second CLI over UDP would be. Its first chunk lands
    // between two of ours, at a fixed point, so the interleaving does not depend on timing.
    const theirLink = new DeviceClient(device.connect(), { timeoutMs: 200, retries: 0 }).uploadLink();
    const theirFirst = 150;
    const theirSha = await sha256(theirs);
    // Every chunk of ours waits while the other client's first chunk goes through.
    let gate: Promise<unknown> | undefined;
    const ourLink = connect(device).uploadLink();
    const wrapped: UploadLink = {
      ...ourLink,
      sendChunk: async (request, options) => {
        if (gate === undefined && request.off > 2000) {
          gate = theirLink
            .sendChunk(
              { image: 0, off: 0, len: theirs.length, sha: theirSha, data: theirs.subarray(0, theirFirst) },
              options,
            )
            .then((first) => expect(first.off).toBe(theirFirst));
        }
        if (gate !== undefined) await gate;
        return ourLink.sendChunk(request, options);
      },
    };
    const error = await uploadImage(wrapped, ours).catch((e: unknown) => e);
    expect(gate).toBeDefined();
    expect(error).toBeInstanceOf(UploadConflictError);
    expect(faultOf(error)).toBe('device');
    expect((error as Error).message).toMatch(/another client started its own upload to this device/);
    // The other client's upload resumes where it stood and completes; its image is what the slot holds.
    const rest = await new DeviceClient(device.connect(), { timeoutMs: 200, retries: 0 }).imageUpload(theirs);
    expect(rest).toMatchObject({ match: true, resumedFrom: theirFirst });
    expect(device.stored(theirs.length)).toEqual(theirs);
  });

  it('fails in words when the image list does not show the uploaded image afterwards', async () => {
    const image = buildTestImage(2000);
    const device = new FakeSmpDevice({ mtu: 256, imageCheck: true });
    const link = connect(device).uploadLink();
    const foreign = testImageHash(buildTestImage(100));
    const checked = {
      ...link,
      // Another upload lands between our last chunk and the check.
      slotImages: async () => [{ image: 0, slot: 1, version: '9.0.0', hash: foreign }],
    };
    const error = await uploadImage(checked, image).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadError);
    expect(faultOf(error)).toBe('device');
    expect((error as Error).message).toMatch(
      /^The device acknowledged all 2072 bytes, but its image list does not show this file's image \(hash [0-9a-f]{16}…\): it lists slot 1: 9\.0\.0 \(hash [0-9a-f]{16}…\)\. Another client probably uploaded/,
    );
  });

  it('falls back to smaller requests, with a notice, when the device drops large ones', async () => {
    const image = buildTestImage(6000);
    const device = new FakeSmpDevice({ mtu: 4096, imageCheck: true, maxRequest: 600 });
    const notices: string[] = [];
    const client = new DeviceClient(device.client, { timeoutMs: 2000, retries: 0, probeAfterMs: 50 });
    const result = await client.imageUpload(image, {
      requestLimit: 2000,
      onNotice: (text) => notices.push(text),
    });
    expect(result.match).toBe(true);
    expect(device.stored(image.length)).toEqual(image);
    expect(notices).toEqual([
      'The device did not answer 2000-byte upload requests but answers small ones: they are probably larger than its receive buffer (CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE, or the UART or UDP MTU). Continuing with 1000-byte requests.',
      'The device did not answer 1000-byte upload requests but answers small ones: they are probably larger than its receive buffer (CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE, or the UART or UDP MTU). Continuing with 500-byte requests.',
    ]);
    expect(result.requestLimit).toBe(500);
    // Decided by probes: four drops cost less than one 2 s timeout.
    expect(result.elapsedMs).toBeLessThan(2000);
    expect(result.timeouts).toBe(4);
  });
});

describe('uploadImage on a link that splits requests into writes (BLE)', () => {
  it('falls back to one write per request, with a notice, when the device does not join writes', async () => {
    const image = buildTestImage(6000);
    // Reports a 2048-byte buffer but takes each 244-byte write as a whole request (no reassembly).
    const device = new FakeSmpDevice({
      mtu: 65543,
      imageCheck: true,
      maxRequest: 244,
      params: { buf_size: 2048, buf_count: 4 },
    });
    const notices: string[] = [];
    const client = new DeviceClient(device.client, { timeoutMs: 2000, retries: 0, probeAfterMs: 50 });
    const link = { ...client.uploadLink(), kind: 'ble' as const, fragmentSize: 244 };
    const result = await uploadImage(link, image, { onNotice: (text) => notices.push(text) });
    expect(result.match).toBe(true);
    expect(device.stored(image.length)).toEqual(image);
    expect(result.requestLimit).toBe(244);
    expect(notices).toEqual([
      'The device did not answer 2048-byte upload requests but answers small ones: they are probably larger than its receive buffer (CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE), or it does not join requests split over several BLE writes (CONFIG_MCUMGR_TRANSPORT_BT_REASSEMBLY). Continuing with 244-byte requests.',
    ]);
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

describe('uploadImage when the link drops mid-upload (a BLE link that reconnects)', () => {
  /**
   * The engine's link to a fake device whose connection drops at the `dropAt`-th request (and, with
   * `every`, at each later one): that request and the answers still on their way are lost with a
   * LinkError that is not `closed`, as from src/transport/reconnecting.ts; the next request goes
   * through (the link opened again).
   */
  function droppingLink(
    device: FakeSmpDevice,
    dropAt: number,
    options: { every?: boolean; lost?: boolean } = {},
  ) {
    const inner = connect(device).uploadLink();
    let calls = 0;
    let epoch = 0;
    let drops = 0;
    let acked = 0;
    const sent: { off: number; ackedBefore: number; afterDrop: boolean }[] = [];
    const link: UploadLink = {
      ...inner,
      isLinkLost: options.lost === false ? undefined : (err) => err instanceof LinkError && !err.closed,
      sendChunk: async (request, sendOptions) => {
        calls++;
        if (calls === dropAt || (options.every === true && calls > dropAt)) {
          epoch++;
          drops++;
          throw new LinkError('BLE peer disconnected (reason 0x08)', false);
        }
        sent.push({ off: request.off, ackedBefore: acked, afterDrop: drops > 0 });
        const mine = epoch;
        const response = await inner.sendChunk(request, sendOptions);
        if (mine !== epoch) throw new LinkError('BLE peer disconnected (reason 0x08)', false);
        acked = Math.max(acked, response.off);
        return response;
      },
    };
    return { link, sent, drops: () => drops };
  }

  it('reconnects and resumes from the device offset, sending no acknowledged byte again', async () => {
    const device = new FakeSmpDevice({ mtu: 256, params: { buf_size: 384, buf_count: 4 }, imageCheck: true });
    const image = buildTestImage(8000);
    const { link, sent, drops } = droppingLink(device, 12);
    const notices: string[] = [];
    const result = await uploadImage(link, image, { onNotice: (text) => notices.push(text) });
    expect(result.match).toBe(true);
    expect(device.stored(image.length)).toEqual(image);
    expect(drops()).toBe(1);
    expect(notices.join('\n')).toMatch(/link dropped at byte \d+ of \d+; connecting again/);
    const after = sent.filter((s) => s.afterDrop);
    expect(after.length).toBeGreaterThan(0);
    // Every request after the drop starts at or beyond what the device had acknowledged by then.
    const ackedAtDrop = after[0]!.ackedBefore;
    expect(ackedAtDrop).toBeGreaterThan(0);
    for (const s of after) expect(s.off).toBeGreaterThanOrEqual(ackedAtDrop);
  });

  it('gives up in words after a few drops without progress', async () => {
    const device = new FakeSmpDevice({ mtu: 256, params: { buf_size: 384, buf_count: 4 } });
    const { link, drops } = droppingLink(device, 5, { every: true });
    const error = await uploadImage(link, buildTestImage(8000), { reconnects: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadError);
    expect((error as UploadError).message).toMatch(
      /The link dropped 3 times without progress at byte \d+ of \d+/,
    );
    expect(faultOf(error)).toBe('no-answer');
    expect(drops()).toBe(3);
  });

  it('ends at the first drop on a link that does not reconnect', async () => {
    const device = new FakeSmpDevice({ mtu: 256, params: { buf_size: 384, buf_count: 4 } });
    const { link } = droppingLink(device, 5, { lost: false });
    await expect(uploadImage(link, buildTestImage(8000))).rejects.toBeInstanceOf(LinkError);
  });
});
