/**
 * The sending side of a chunked transfer: the client holds the bytes and the device answers each
 * chunk with the offset it expects next (Zephyr img_mgmt.c img_mgmt_upload and fs_mgmt.c
 * fs_mgmt_file_upload both do). The device's offset is the truth:
 * - a later offset skips ahead (the device resumed an earlier upload), an earlier one rewinds
 *   (a chunk was lost); within one upload the device's offset never goes back;
 * - so an answer below what the device had acknowledged when its request left means the device's
 *   side was replaced (another client, a reboot, a truncated file): the transfer stops and says so
 *   instead of fighting over it; an answer below a later acknowledgment but not that is only late
 *   (a UDP network delivered it out of order) and is ignored.
 * What a request holds (its fields, which go in the first chunk only) is the transfer kind's
 * (image upload, fs upload). Pure: no Node imports.
 */
import type { PlannedChunk, TransferSession, Verdict } from './engine.ts';
import type { TransferErrors } from './errors.ts';
import type { SendChunkOptions } from './link.ts';
import { dataThatFits, type SizedField, sizeWithData } from './sizing.ts';

/** The device's answer to one upload chunk, in the session's terms. */
export interface UploadAnswer {
  /** The offset the device expects next. */
  readonly off: number;
  /** The device's verdict on the whole file (image upload's `match`), when it gives one. */
  readonly match?: boolean | undefined;
}

export interface UploadChunk extends PlannedChunk<UploadAnswer> {
  /**
   * The highest offset the device had acknowledged when this request was sent. Within one upload
   * the device's offset never goes back, so its answer cannot be lower, however late the network
   * delivers the request or the answer.
   */
  readonly ackedAtSend: number;
}

/** What one kind of upload says about its requests. */
export interface UploadKind {
  /** "image", "file": what the bytes are, for messages. */
  readonly what: string;
  /** The request's fields other than data at `off` (the first chunk carries more). */
  fieldsAt(off: number): readonly SizedField[];
  /** Data bytes the first chunk must carry at least. */
  readonly minFirstChunk: number;
  /** Upper bound on data bytes per chunk. */
  readonly maxChunk: number;
  /** Timeout of the first chunk (it may erase a slot or truncate a file). */
  readonly firstTimeoutMs?: number | undefined;
  /** Sends the chunk at `off` carrying `data`. */
  send(off: number, data: Uint8Array, options: SendChunkOptions): Promise<UploadAnswer>;
  /**
   * True when a first chunk (off 0) always starts the file afresh, so the device cannot answer it
   * with more than the chunk's own bytes (fs upload truncates; an image upload may resume).
   */
  readonly firstChunkRestarts: boolean;
  /** Why the device's offset went back from `from` to `to`, in words (see the module comment). */
  conflict(from: number, to: number, total: number): string;
  /**
   * True when the device, once it holds the whole file, forgets the upload and answers any later
   * chunk with offset 0, so a last chunk sent again after its answer was lost is answered 0.
   */
  readonly answersZeroWhenDone?: boolean;
}

export interface UploadSessionOptions {
  /** Where the first request starts: 0, or a probe offset whose answer tells the device's size. */
  readonly start?: number;
}

export class UploadSession<R> implements TransferSession<UploadAnswer, UploadChunk, R> {
  private readonly start: number;
  private nextOff: number;
  private deviceOff = 0;
  private resumed: number | undefined;

  constructor(
    private readonly data: Uint8Array,
    private readonly kind: UploadKind,
    private readonly errors: TransferErrors,
    private readonly finish: (answer: UploadAnswer) => R,
    options: UploadSessionOptions = {},
  ) {
    this.start = options.start ?? 0;
    this.nextOff = this.start;
  }

  total(): number {
    return this.data.length;
  }

  confirmed(): number {
    return this.deviceOff;
  }

  resumedFrom(): number {
    return this.resumed ?? 0;
  }

  fits(limit: number): boolean {
    // The first chunk must carry its fixed fields and its minimum data (none for an empty file).
    const needed = Math.min(this.kind.minFirstChunk, this.data.length);
    return this.kind.maxChunk >= needed && sizeWithData(this.kind.fieldsAt(0), needed) <= limit;
  }

  chunkSize(limit: number): number {
    return this.fitAt(this.data.length, limit);
  }

  private fitAt(off: number, limit: number): number {
    return Math.min(dataThatFits(this.kind.fieldsAt(off), limit), this.kind.maxChunk);
  }

  next(limit: number): UploadChunk | undefined {
    const off = this.nextOff;
    const total = this.data.length;
    // A probe at `total` (resume) carries no data; its answer says how much the device holds.
    const probe = off === total && total > 0 && this.resumed === undefined;
    // The first chunk goes even for an empty file: it is what creates it.
    if (!probe && (off > total || (off === total && total > 0))) return undefined;
    const fit = this.fitAt(off, limit);
    const length = Math.min(fit, total - off);
    const data = this.data.subarray(off, off + length);
    this.nextOff = off === total ? total + 1 : off + length;
    const kind = this.kind;
    const chunk: UploadChunk = {
      off,
      length,
      full: length === fit,
      ackedAtSend: this.deviceOff,
      ...(off === 0 && kind.firstTimeoutMs !== undefined ? { timeoutMs: kind.firstTimeoutMs } : {}),
      send: (options) => kind.send(off, data, options),
    };
    return chunk;
  }

  onAnswer(chunk: UploadChunk, answer: UploadAnswer, stale: boolean): Verdict<R> {
    const off = answer.off;
    const total = this.data.length;
    if (!Number.isInteger(off) || off < 0 || off > total) {
      throw this.errors.failure(
        `The device reported offset ${String(off)}, outside the ${total}-byte ${this.kind.what}.`,
        this.deviceOff,
        { fault: 'device' },
      );
    }
    if (off < this.deviceOff && off >= chunk.ackedAtSend) {
      // Older news: the network (UDP over Wi-Fi or Thread) delivered this request or its answer
      // out of order, after answers that told more.
      return { kind: 'late' };
    }
    const end = chunk.off + chunk.length;

    if (
      off === 0 &&
      end === total &&
      chunk.ackedAtSend === chunk.off &&
      chunk.off > 0 &&
      this.kind.answersZeroWhenDone === true
    ) {
      // The last chunk, sent with every byte before it acknowledged, answered 0: its first answer
      // was lost, the device stored it and forgot the finished upload, and this answers the chunk
      // sent again. The device's verdict went with the lost answer; the caller's slot check says
      // whether the file is there (another client's finished upload would fail it).
      this.deviceOff = total;
      return { kind: 'done', result: this.finish({ off: total }) };
    }
    if (off < this.deviceOff) {
      throw this.errors.conflict(this.kind.conflict(this.deviceOff, off, total), this.deviceOff, {
        fault: 'device',
      });
    }
    if (this.kind.firstChunkRestarts && chunk.off === 0 && chunk.length > 0 && off > end) {
      throw this.errors.failure(
        `The device answered the first chunk (${chunk.length} bytes at offset 0, which starts the ` +
          `${this.kind.what} afresh) with offset ${off}: its upload state does not match the ${this.kind.what} ` +
          "(Zephyr's fs_mgmt counts a first chunk sent again within one upload twice). Wait a few " +
          'seconds for the device to close the file, then upload again.',
        this.deviceOff,
        { fault: 'device' },
      );
    }
    // The first answer tells where the device starts: anywhere but right after our first chunk
    // means it kept an earlier upload of this file and ignored our data.
    if (this.resumed === undefined) this.resumed = off !== end ? off : 0;
    if (off === total) {
      this.deviceOff = total;
      return { kind: 'done', result: this.finish(answer) };
    }
    if (stale) return { kind: 'late' };
    const progressed = off > this.deviceOff;
    this.deviceOff = off;
    if (off === end) return { kind: 'ack', progressed };
    // The device expects another offset: skip ahead (resume) or go back (a chunk was lost).
    this.nextOff = off;
    return { kind: 'ack', progressed, rewind: { to: off, lost: off < end, noProgress: off <= chunk.off } };
  }

  restart(): void {
    // Before any answer, start again where the session started (a resume probe goes again).
    this.nextOff = this.resumed === undefined ? this.start : this.deviceOff;
  }
}
