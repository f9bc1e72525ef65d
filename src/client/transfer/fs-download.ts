/**
 * fs download (SMP fs group 8, command 0, read) as a transfer kind, following Zephyr v3.5.0
 * `subsys/mgmt/mcumgr/grp/fs_mgmt/src/fs_mgmt.c` fs_mgmt_file_download:
 * - request {name, off}; the answer is {off (the request's), data, len (the file's total, only
 *   when off is 0)}; the device reads as much as one response holds (MCUMGR_GRP_FS_DL_CHUNK_SIZE,
 *   from its SMP buffer), so the request is tiny and the window is what gives speed;
 * - the device seeks to any offset asked, so requests are independent: the session asks for the
 *   first bytes it lacks, places every answer at its offset (answers may arrive out of order over
 *   UDP, or twice after a resend) and is done when it holds every byte of the total; a request
 *   for the first missing byte that answers to later requests overtake is asked again at once
 *   (the device answers in arrival order), as the upload learns of a loss from the device's offset;
 * - the total comes from the first answer; any answer that disagrees with it (data past the end,
 *   none before it, another len at offset 0) means the file changed under the download, which
 *   stops with a clear error rather than hand back a mix of two files; when the answer that reached
 *   the end was a whole chunk, one more request at the end must find nothing (the file did not
 *   grow unseen);
 * - resume starts at the bytes received before (an interrupted download's), with the total the
 *   earlier run learned, since only an answer at offset 0 carries it.
 * Pure: no Node imports.
 */
import { fileDownload } from '../../groups/fs/models.ts';
import type { ResponseOf } from '../../smp/command.ts';
import { SmpError } from '../../smp/errors.ts';
import { type PlannedChunk, runTransfer, type TransferSession, type Verdict } from './engine.ts';
import type { TransferErrors } from './errors.ts';
import {
  checkFileName,
  FileTransferError,
  type FileTransferOptions,
  type FileTransferResult,
  fileTransferErrors,
  setUpRun,
} from './file-transfer.ts';
import type { SmpTransferLink } from './link.ts';
import { sizeWithoutData, utf8Length } from './sizing.ts';

/** Largest file a download takes by default (it is held in memory). */
export const DEFAULT_MAX_DOWNLOAD = 64 * 1024 * 1024;

export interface FileDownloadOptions extends FileTransferOptions {
  /** Carry on an interrupted download: the bytes received before and the file's total then. */
  resume?: { readonly data: Uint8Array; readonly total: number };
  /** Refuse files longer than this (the download is held in memory); default 64 MiB. */
  maxLength?: number;
}

export interface FileDownloadResult extends FileTransferResult {
  /** The whole file. */
  readonly data: Uint8Array;
}

type DownloadAnswer = ResponseOf<typeof fileDownload>;

interface DownloadChunk extends PlannedChunk<DownloadAnswer> {
  /** Order of asking: answers to later requests while this one has none hint it was lost. */
  readonly index: number;
}

/**
 * Answers to requests sent after the one for the first missing byte, before the session takes
 * that request for lost and asks again (a device answers in arrival order, so on a link that
 * does not reorder, one would do; UDP can reorder a little).
 */
const OVERTAKEN_BEFORE_RESEND = 3;

/** Disjoint, sorted byte ranges [start, end) the session holds. */
class Ranges {
  private readonly list: Array<[number, number]> = [];

  add(start: number, end: number): void {
    if (end <= start) return;
    const list = this.list;
    let i = 0;
    while (i < list.length && list[i]![1] < start) i++;
    let s = start;
    let e = end;
    let j = i;
    while (j < list.length && list[j]![0] <= e) {
      s = Math.min(s, list[j]![0]);
      e = Math.max(e, list[j]![1]);
      j++;
    }
    list.splice(i, j - i, [s, e]);
  }

  /** The first byte at or after `from` not held. */
  firstGap(from: number): number {
    let at = from;
    for (const [s, e] of this.list) {
      if (s > at) break;
      if (e > at) at = e;
    }
    return at;
  }
}

class DownloadSession implements TransferSession<DownloadAnswer, DownloadChunk, Uint8Array> {
  private size: number | undefined;
  private buffer: Uint8Array | undefined;
  private readonly held = new Ranges();
  /** Largest data an answer carried: where the next request starts after the previous one. */
  private chunk = 0;
  /** Next offset to ask going forward. */
  private cursor: number;
  /** Offsets to ask first: the rest of a short answer. */
  private holes: number[] = [];
  /** Before the total is known only one request goes out. */
  private probing = false;
  /**
   * The answer that reached the end was a whole chunk: the file may have grown by then without
   * any answer showing it, so one request at the end must find nothing there.
   */
  private endCheck: 'none' | 'wanted' | 'asked' = 'none';
  private asks = 0;
  /** The current plan's requests by offset: when asked, and how many later ones were answered. */
  private asked = new Map<number, { index: number; overtaken: number }>();

  constructor(
    private readonly link: SmpTransferLink,
    private readonly name: string,
    private readonly start: number,
    resume: { readonly data: Uint8Array; readonly total: number } | undefined,
    private readonly maxLength: number,
    private readonly errors: TransferErrors,
  ) {
    this.cursor = start;
    if (resume !== undefined) {
      this.setTotal(resume.total);
      this.buffer?.set(resume.data);
      this.held.add(0, resume.data.length);
    }
  }

  private setTotal(total: number): void {
    if (total > this.maxLength) {
      throw new FileTransferError(
        `${this.name} is ${total} bytes, more than the ${this.maxLength} bytes a download takes here ` +
          '(it is held in memory); raise the limit (maxLength) to download it.',
        this.confirmed(),
        { fault: 'local' },
      );
    }
    this.size = total;
    this.buffer = new Uint8Array(total);
  }

  total(): number | undefined {
    return this.size;
  }

  confirmed(): number {
    return this.held.firstGap(0);
  }

  resumedFrom(): number {
    return this.start;
  }

  /** Bytes received in order, for an interrupted download to resume with. */
  received(): Uint8Array {
    return (this.buffer ?? new Uint8Array(0)).slice(0, this.confirmed());
  }

  fits(limit: number): boolean {
    return this.requestSize() <= limit;
  }

  private requestSize(): number {
    return sizeWithoutData([
      { key: 'name', kind: 'text', length: utf8Length(this.name) },
      { key: 'off', kind: 'uint', value: Math.max(this.size ?? 0, 0xffff_ffff) },
    ]);
  }

  chunkSize(): number {
    return this.chunk;
  }

  next(): DownloadChunk | undefined {
    const total = this.size;
    if (total === undefined) {
      if (this.probing) return undefined;
      this.probing = true;
      return this.ask(this.start);
    }
    if (this.confirmed() >= total) {
      if (this.endCheck !== 'wanted') return undefined;
      this.endCheck = 'asked';
      return this.ask(total);
    }
    while (this.holes.length > 0) {
      const off = this.holes.shift() ?? total;
      if (this.held.firstGap(off) === off && off < total) return this.ask(off);
    }
    const off = this.held.firstGap(this.cursor);
    if (off >= total) return undefined;
    this.cursor = off + Math.max(this.chunk, 1);
    return this.ask(off);
  }

  private ask(off: number): DownloadChunk {
    const expected = this.size === undefined ? this.chunk : Math.min(this.chunk, this.size - off);
    const index = ++this.asks;
    this.asked.set(off, { index, overtaken: 0 });
    return {
      index,
      off,
      length: expected,
      full: true,
      // The request is tiny: a missing answer is a lost packet or a busy device, not a size problem.
      detectTooLarge: false,
      send: async (options) => {
        try {
          return await this.link.request(fileDownload, { name: this.name, off }, options);
        } catch (err) {
          if (!(err instanceof SmpError)) throw err;
          throw this.errors.failure(
            `The device cannot send ${this.name}: ${err.message}.`,
            this.confirmed(),
            {
              cause: err,
              fault: 'device',
            },
          );
        }
      },
    };
  }

  onAnswer(chunk: DownloadChunk, answer: DownloadAnswer): Verdict<Uint8Array> {
    const { off, data } = answer;
    if (off !== chunk.off) {
      throw this.errors.failure(
        `The device answered a download request for byte ${chunk.off} of ${this.name} with byte ${off}.`,
        this.confirmed(),
        { fault: 'device' },
      );
    }
    const before = this.confirmed();
    if (off === 0) {
      if (answer.len === undefined) {
        throw this.errors.failure(
          `The device's answer at offset 0 of ${this.name} does not say the file's length (len).`,
          before,
          { fault: 'device' },
        );
      }
      if (this.size === undefined) this.setTotal(answer.len);
      else if (answer.len !== this.size) throw this.changed(`its length is now ${answer.len} bytes`);
    }
    const total = this.size;
    if (total === undefined) {
      throw this.errors.failure(
        `Resuming ${this.name} at byte ${off} needs the file's length from the earlier download.`,
        before,
        { fault: 'local' },
      );
    }
    this.probing = false;
    if (off + data.length > total) {
      throw this.changed(`the device sent ${off + data.length - total} bytes past its end`);
    }
    if (data.length === 0 && off < total) {
      throw this.changed(`the device has no data at byte ${off}`);
    }
    if (this.asked.get(off)?.index === chunk.index) this.asked.delete(off);
    this.chunk = Math.max(this.chunk, data.length);
    this.buffer?.set(data, off);
    this.held.add(off, off + data.length);
    const end = off + data.length;
    // A short answer inside the file: ask for the rest from where it stopped.
    if (end < total && data.length < this.chunk) this.holes.push(end);
    if (end === total && off < total && data.length === this.chunk && this.endCheck === 'none') {
      this.endCheck = 'wanted';
    }
    const now = this.confirmed();
    if (now >= total && (this.endCheck === 'none' || off === total)) {
      return { kind: 'done', result: this.buffer ?? new Uint8Array(0) };
    }
    // The request for the first missing byte was overtaken by answers to later ones: take it for
    // lost and ask again now rather than wait for its timeout (the engine halves its window).
    const gap = this.asked.get(now);
    if (now < total && gap !== undefined && gap.index < chunk.index) {
      if (++gap.overtaken >= OVERTAKEN_BEFORE_RESEND) {
        this.asked.delete(now);
        this.holes.unshift(now);
        return { kind: 'ack', progressed: now > before, rewind: { to: now, lost: true, noProgress: false } };
      }
    }
    return { kind: 'ack', progressed: now > before };
  }

  private changed(what: string): Error {
    return this.errors.conflict(
      `${this.name} changed during the download: it was ${this.size} bytes, but ${what}. ` +
        'Download it again once nothing writes it.',
      this.confirmed(),
      { fault: 'device' },
    );
  }

  onStaleLoss(chunk: DownloadChunk): void {
    if (this.asked.get(chunk.off)?.index === chunk.index) this.asked.delete(chunk.off);
    if (chunk.off === this.size) {
      if (this.endCheck === 'asked') this.endCheck = 'wanted';
    } else if (this.held.firstGap(chunk.off) === chunk.off) this.holes.push(chunk.off);
  }

  restart(): void {
    if (this.endCheck === 'asked') this.endCheck = 'wanted';
    this.asked.clear();
    this.holes = [];
    this.probing = false;
    this.cursor = this.held.firstGap(this.start);
  }
}

/**
 * Downloads the file `name` from the device behind `link` (fs download), keeping a window of
 * requests in flight and placing the answers in order; with `resume`, carries on after the bytes
 * an interrupted download received.
 */
export async function downloadFile(
  link: SmpTransferLink,
  name: string,
  options: FileDownloadOptions = {},
): Promise<FileDownloadResult> {
  checkFileName(name);
  const resume = options.resume;
  if (resume !== undefined && resume.data.length > resume.total) {
    throw new FileTransferError(
      `Cannot resume ${name}: ${resume.data.length} bytes were received of a ${resume.total}-byte file.`,
      0,
      { fault: 'local' },
    );
  }
  const run = await setUpRun(link, options, 'download');
  let session: DownloadSession | undefined;
  const errors = fileTransferErrors('download', name, () => session?.received() ?? new Uint8Array(0));
  session = new DownloadSession(
    link,
    name,
    resume?.data.length ?? 0,
    resume,
    options.maxLength ?? DEFAULT_MAX_DOWNLOAD,
    errors,
  );
  if (resume !== undefined && resume.data.length === resume.total) {
    return {
      data: session.received(),
      total: resume.total,
      elapsedMs: 0,
      sentBytes: 0,
      resumedFrom: resume.total,
      requestLimit: run.requestLimit,
      chunkSize: 0,
      window: run.window,
      requests: 0,
      timeouts: 0,
    };
  }
  const { result, ...outcome } = await runTransfer(link, session, {
    ...run,
    errors,
    firstChunkNeeds: `the name (${utf8Length(name)} bytes) and off`,
  });
  return { ...outcome, data: result };
}
