/**
 * fs upload and fs download on the chunked-transfer engine, against a responder that follows
 * Zephyr's fs_mgmt.c (./fs-responder.ts) over an in-memory link that loses and reorders packets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  FileTransferAbortedError,
  FileTransferConflictError,
  FileTransferError,
} from '../../../src/client/transfer/file-transfer.ts';
import { downloadFile } from '../../../src/client/transfer/fs-download.ts';
import { uploadFile } from '../../../src/client/transfer/fs-upload.ts';
import { decodePacket } from '../../../src/smp/codec.ts';
import { faultOf } from '../../../src/util/fault.ts';
import { FsResponder } from './fs-responder.ts';
import { type LinkFaults, type LossyLink, lossyLink } from './lossy-link.ts';

const links: LossyLink[] = [];
afterEach(async () => {
  for (const link of links.splice(0)) await link.close();
});

function pattern(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function setUp(faults: LinkFaults = {}, options: { downloadChunk?: number; bufCount?: number } = {}) {
  const responder = new FsResponder({
    params: { buf_size: 512, buf_count: options.bufCount ?? 5 },
    downloadChunk: options.downloadChunk ?? 200,
  });
  const link = lossyLink(responder.serveFor(), faults, { timeoutMs: 2000 });
  links.push(link);
  return { responder, link: link.client.transferLink(), counts: link.counts };
}

const fast = { timeoutMs: 60, retries: 6 };

describe('uploadFile (fs upload, group 8 command 0 write)', () => {
  it('sends the file in requests that fill the device buffer, len in the first chunk only, with a window', async () => {
    const { responder, link } = setUp();
    const data = pattern(6000);
    const progress: number[] = [];
    const result = await uploadFile(link, '/lfs/data.bin', data, {
      onProgress: (p) => progress.push(p.bytes),
    });
    expect(responder.files.get('/lfs/data.bin')).toEqual(data);
    expect(result).toMatchObject({
      total: 6000,
      sentBytes: 6000,
      resumedFrom: 0,
      requestLimit: 512,
      window: 4,
    });
    const [first, ...rest] = responder.seen;
    expect(first).toMatchObject({ op: 'write', off: 0, hasLen: true });
    expect(rest.every((r) => !r.hasLen)).toBe(true);
    expect(Math.max(...responder.seen.map((r) => r.size))).toBeLessThanOrEqual(512);
    expect(rest.slice(0, -1).every((r) => r.size >= 505)).toBe(true);
    expect(progress.at(-1)).toBe(6000);
  });

  it('goes back to the offset the device names (err FILE_OFFSET_NOT_VALID with len) when a chunk is lost', async () => {
    const { responder, link } = setUp({ request: (n) => (n === 5 ? 'drop' : 'deliver') });
    const data = pattern(8000, 2);
    const result = await uploadFile(link, '/lfs/a', data, fast);
    expect(responder.files.get('/lfs/a')).toEqual(data);
    // The lost chunk went again; no timeout was needed: the next chunk's answer said where.
    expect(result.timeouts).toBe(0);
    const lost = responder.seen[3]?.off;
    expect(responder.seen.filter((r) => r.off === lost).length).toBeGreaterThanOrEqual(1);
  });

  it('survives a lost answer to the first chunk, which fs_mgmt counts twice when sent again', async () => {
    const { responder, link } = setUp({ reply: (n) => (n === 2 ? 'drop' : 'deliver') });
    const data = pattern(3000, 3);
    // Reply 1 is os params; reply 2 answers the first chunk.
    const result = await uploadFile(link, '/lfs/b', data, fast);
    expect(result.timeouts).toBe(1);
    expect(responder.files.get('/lfs/b')).toEqual(data);
  });

  it('resumes from the size of the file the device holds, sending only the rest', async () => {
    const { responder, link } = setUp();
    const data = pattern(5000, 4);
    responder.files.set('/lfs/c', data.slice(0, 1800));
    const result = await uploadFile(link, '/lfs/c', data, { resume: true });
    expect(responder.files.get('/lfs/c')).toEqual(data);
    expect(result).toMatchObject({ resumedFrom: 1800, sentBytes: 3200 });
    expect(responder.seen.filter((r) => r.length > 0).every((r) => r.off >= 1800)).toBe(true);
  });

  it('starts from the beginning, with a notice, when the device file is longer than this one', async () => {
    const { responder, link } = setUp();
    const data = pattern(1000, 5);
    responder.files.set('/lfs/d', pattern(4000, 6));
    const notices: string[] = [];
    const result = await uploadFile(link, '/lfs/d', data, { resume: true, onNotice: (t) => notices.push(t) });
    expect(responder.files.get('/lfs/d')).toEqual(data);
    expect(result.resumedFrom).toBe(0);
    expect(notices).toEqual([
      '/lfs/d on the device is 4000 bytes, longer than this 1000-byte file: it is not an interrupted upload of it, so the upload starts from the beginning.',
    ]);
  });

  it('creates an empty file, and says an existing one is not emptied', async () => {
    const { responder, link } = setUp();
    const notices: string[] = [];
    const result = await uploadFile(link, '/lfs/empty', new Uint8Array(0), {
      onNotice: (t) => notices.push(t),
    });
    expect(result.total).toBe(0);
    expect(responder.files.get('/lfs/empty')).toEqual(new Uint8Array(0));
    expect(notices[0]).toMatch(/^An empty upload creates \/lfs\/empty but does not empty an existing file/);
  });

  it('stops in words when another writer cuts the file back under the upload', async () => {
    const { responder, link } = setUp({}, { bufCount: 2 });
    const data = pattern(4000, 7);
    responder.beforeRequest = (n) => {
      // Another client truncates the file between two of our chunks (and takes the state).
      if (n === 6) {
        responder.files.set('/lfs/e', new Uint8Array(100));
        (responder as unknown as { state: undefined }).state = undefined;
      }
    };
    const error = await uploadFile(link, '/lfs/e', data, fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileTransferConflictError);
    expect(faultOf(error)).toBe('device');
    expect((error as Error).message).toMatch(
      /^The device's upload of \/lfs\/e went back from byte \d+ to 100 of 4000: another client wrote the file/,
    );
  });

  it('stops on abort, saying where the device stands', async () => {
    const { link } = setUp();
    const abort = new AbortController();
    const error = await uploadFile(link, '/lfs/f', pattern(20_000), {
      signal: abort.signal,
      onProgress: (p) => {
        if (p.bytes > 3000) abort.abort();
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileTransferAbortedError);
    expect((error as Error).name).toBe('AbortError');
    expect((error as Error).message).toMatch(
      /^Upload of \/lfs\/f interrupted at byte \d+ of 20000 \(\d+%\)\./,
    );
  });

  it('refuses a request limit too small for the first chunk, even of an empty file', async () => {
    const { link, counts } = setUp();
    await expect(uploadFile(link, '/lfs/x', new Uint8Array(0), { requestLimit: 24 })).rejects.toThrow(
      'A request may be at most 24 bytes on this link, too small for the first upload chunk (it needs the name (6 bytes), off and len); raise the MTU.',
    );
    await expect(downloadFile(link, '/lfs/a-rather-long-name.txt', { requestLimit: 24 })).rejects.toThrow(
      /too small for the first download chunk \(it needs the name \(27 bytes\) and off\)/,
    );
    // Only os params went out.
    expect(counts.requests).toBe(2);
  });

  it('refuses an empty file name', async () => {
    const { link } = setUp();
    await expect(uploadFile(link, '', pattern(10))).rejects.toThrow(/file name is empty/);
  });
});

describe('downloadFile (fs download, group 8 command 0 read)', () => {
  it('keeps a window of tiny requests and reassembles the answers in order', async () => {
    const { responder, link } = setUp();
    const data = pattern(9000, 8);
    responder.files.set('/lfs/log', data);
    const progress: number[] = [];
    const result = await downloadFile(link, '/lfs/log', { onProgress: (p) => progress.push(p.bytes) });
    expect(result.data).toEqual(data);
    expect(result).toMatchObject({ total: 9000, chunkSize: 200, window: 4, timeouts: 0 });
    // 45 chunks, and one at the end: the last answer was a whole chunk, so the file could have
    // grown unseen; the device must have nothing there.
    expect(result.requests).toBe(46);
    expect(responder.seen.at(-1)?.off).toBe(9000);
    expect(Math.max(...responder.seen.map((r) => r.size))).toBeLessThan(40);
    expect(progress.at(-1)).toBe(9000);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('places answers that arrive out of order, and asks again for lost ones', async () => {
    const { responder, link, counts } = setUp({
      request: (n) => (n === 7 ? 'drop' : 'deliver'),
      reply: (n) => (n % 4 === 0 ? { delayMs: 15 } : n === 11 ? 'drop' : 'deliver'),
    });
    const data = pattern(7000, 9);
    responder.files.set('/lfs/r', data);
    const result = await downloadFile(link, '/lfs/r', fast);
    expect(result.data).toEqual(data);
    expect(counts.delayed).toBeGreaterThan(3);
    expect(result.timeouts).toBeGreaterThanOrEqual(1);
  });

  it('asks again for a lost request as soon as later answers overtake it, without waiting for its timeout', async () => {
    const { responder, link } = setUp({ request: (n) => (n === 6 ? 'drop' : 'deliver') });
    const data = pattern(8000, 16);
    responder.files.set('/lfs/fast', data);
    const started = performance.now();
    const result = await downloadFile(link, '/lfs/fast', { timeoutMs: 3000 });
    expect(result.data).toEqual(data);
    expect(performance.now() - started).toBeLessThan(1500);
    // Request 6 (os params, then offsets 0, 200, 400, 600, 800) was lost: 800 was asked again,
    // and the device saw it once.
    expect(responder.seen.filter((r) => r.off === 800)).toHaveLength(1);
    expect(result.requests).toBe(42);
  });

  it('asks again for a request lost before an earlier gap was resent, when nothing later overtakes it', async () => {
    // Offsets 200 and 800 are lost once each: answers to later requests overtake 200, which is
    // asked again (a new plan); 800 belongs to the plan before, and no answer comes after it.
    const lostOnce = new Set([200, 800]);
    const { responder, link } = setUp({
      request: (_n, packet) => {
        const { header, body } = decodePacket(packet);
        const off = (body as { off?: unknown } | undefined)?.off;
        return header.group === 8 && typeof off === 'number' && lostOnce.delete(off) ? 'drop' : 'deliver';
      },
    });
    const data = pattern(1150, 17);
    responder.files.set('/lfs/tail', data);
    const result = await downloadFile(link, '/lfs/tail', { timeoutMs: 100 });
    expect(result.data).toEqual(data);
    expect(responder.seen.filter((r) => r.off === 800)).toHaveLength(1);
  });

  it('takes answers of other sizes than the first (a device that fills each answer)', async () => {
    const { responder, link } = setUp();
    const data = pattern(3000, 10);
    responder.files.set('/lfs/v', data);
    let n = 0;
    // Alternate 200- and 150-byte answers: the short ones leave holes the session fills.
    (responder as unknown as { options: { downloadChunk: number } }).options.downloadChunk = 200;
    responder.beforeRequest = () => {
      (responder as unknown as { options: { downloadChunk: number } }).options.downloadChunk =
        ++n % 2 === 0 ? 150 : 200;
    };
    const result = await downloadFile(link, '/lfs/v');
    expect(result.data).toEqual(data);
  });

  it('fails in words when the file grows or shrinks during the download', async () => {
    const { responder, link } = setUp({}, { bufCount: 2 });
    responder.files.set('/lfs/g', pattern(5000, 11));
    responder.beforeRequest = (n) => {
      if (n === 5) responder.files.set('/lfs/g', pattern(600, 12));
    };
    const error = await downloadFile(link, '/lfs/g', fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileTransferConflictError);
    expect((error as Error).message).toMatch(
      /^\/lfs\/g changed during the download: it was 5000 bytes, but the device has no data at byte \d+\. Download it again once nothing writes it\.$/,
    );

    const grown = setUp({}, { bufCount: 2 });
    grown.responder.files.set('/lfs/h', pattern(1000, 13));
    grown.responder.beforeRequest = (n) => {
      if (n === 3) grown.responder.files.set('/lfs/h', pattern(3000, 13));
    };
    const error2 = await downloadFile(grown.link, '/lfs/h', fast).catch((e: unknown) => e);
    expect(error2).toBeInstanceOf(FileTransferConflictError);
    expect((error2 as Error).message).toMatch(
      /it was 1000 bytes, but the device sent \d+ bytes past its end/,
    );
  });

  it('passes the device error on in words for a missing file', async () => {
    const { link } = setUp();
    const error = await downloadFile(link, '/lfs/missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileTransferError);
    expect(faultOf(error)).toBe('device');
    expect((error as Error).message).toBe(
      'The device cannot send /lfs/missing: fs download: file not found (FILE_NOT_FOUND, group 8 rc 3).',
    );
  });

  it('downloads a zero-length file in one request', async () => {
    const { responder, link } = setUp();
    responder.files.set('/lfs/zero', new Uint8Array(0));
    const result = await downloadFile(link, '/lfs/zero');
    expect(result.data).toEqual(new Uint8Array(0));
    expect(result).toMatchObject({ total: 0, requests: 1 });
  });

  it('needs no request at the end when the last answer was short', async () => {
    const { responder, link } = setUp();
    responder.files.set('/lfs/odd', pattern(1050, 15));
    const result = await downloadFile(link, '/lfs/odd');
    expect(result.data).toEqual(pattern(1050, 15));
    expect(result.requests).toBe(6);
  });

  it('resumes after an abort from the bytes received, asking only for the rest', async () => {
    const { responder, link } = setUp();
    const data = pattern(12_000, 14);
    responder.files.set('/lfs/big', data);
    const abort = new AbortController();
    const error = await downloadFile(link, '/lfs/big', {
      signal: abort.signal,
      onProgress: (p) => {
        if (p.bytes >= 4000) abort.abort();
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileTransferAbortedError);
    const aborted = error as FileTransferAbortedError;
    expect(aborted.total).toBe(12_000);
    expect(aborted.received?.length).toBe(aborted.offset);
    expect(aborted.received).toEqual(data.slice(0, aborted.offset));
    const asked = responder.seen.length;
    const result = await downloadFile(link, '/lfs/big', {
      resume: { data: aborted.received ?? new Uint8Array(0), total: 12_000 },
    });
    expect(result.data).toEqual(data);
    expect(result.resumedFrom).toBe(aborted.offset);
    expect(responder.seen.slice(asked).every((r) => r.off >= aborted.offset)).toBe(true);
  });

  it('refuses a file larger than it may hold in memory', async () => {
    const { responder, link } = setUp();
    responder.files.set('/lfs/huge', pattern(5000));
    await expect(downloadFile(link, '/lfs/huge', { maxLength: 4096 })).rejects.toThrow(
      '/lfs/huge is 5000 bytes, more than the 4096 bytes a download takes here (it is held in memory); raise the limit (maxLength) to download it.',
    );
  });
});
