/**
 * The image upload engine (SMP image group, command 1), following Zephyr's upload state machine:
 * - the first chunk (off = 0) carries len, sha (SHA-256 of the whole file, the resume key) and image;
 * - the device's `off` is the truth: a later offset skips ahead (resume), an earlier one rewinds
 *   (a chunk was lost), 0 on a continuation means the device lost the session so we start over;
 * - a window of requests is kept in flight; it starts at 1 (the first chunk may erase the slot for
 *   seconds), grows by one per acknowledged chunk, and falls back to 1 after a timeout;
 * - success is reported only when the device acknowledges off == len, and `match: false` fails.
 * Pure: no Node imports.
 */

import { ImageFormatError } from '../image/errors.ts';
import { type McubootImage, parseImage } from '../image/format.ts';
import { formatVersion } from '../image/version.ts';
import type { RequestOf, ResponseOf } from '../smp/command.ts';
import type { imageUpload } from '../smp/groups/image.ts';
import type { TransportKind } from '../transport/transport.ts';
import { type ChunkFields, MIN_FIRST_CHUNK, maxChunkData, requestLimit } from './upload-sizing.ts';

/** One upload request and its answer, as the image group's command model types them. */
export type UploadChunkRequest = RequestOf<typeof imageUpload>;
export type UploadChunkResponse = ResponseOf<typeof imageUpload>;

export interface DeviceBufferParams {
  /** One SMP buffer (header + CBOR) as reported by os mcumgr params. */
  readonly bufSize: number;
  readonly bufCount: number;
}

/** What the engine needs from a connected device; DeviceClient provides it. */
export interface UploadLink {
  readonly kind: TransportKind;
  /** Largest SMP packet (header + CBOR) one request may be on this link. */
  readonly mtu: number;
  /** Sends one upload request (no retries of its own) and resolves with the device's reply. */
  sendChunk(
    request: UploadChunkRequest,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<UploadChunkResponse>;
  /** The device's buffer parameters, or undefined when it does not report them. */
  bufferParams?(signal?: AbortSignal): Promise<DeviceBufferParams | undefined>;
  /** True when `err` means "no reply in time" (retryable); anything else ends the upload. */
  isTimeout(err: unknown): boolean;
}

export interface UploadProgress {
  /** Bytes the device has acknowledged. */
  readonly bytes: number;
  readonly total: number;
  /** Acknowledged bytes per second since the upload started. */
  readonly bytesPerSecond: number;
  readonly elapsedMs: number;
}

export interface UploadOptions {
  /** Send the file even when it is not a valid MCUboot image. */
  force?: boolean;
  /** Image number for multi-image devices (SMP `image`), default 0. */
  image?: number;
  /** Ask the device to accept only a newer version (SMP `upgrade`). */
  upgrade?: boolean;
  /** Timeout per chunk, default 5 s. */
  timeoutMs?: number;
  /** Timeout of the first chunk, which may erase the whole slot first; default 40 s. */
  firstChunkTimeoutMs?: number;
  /** Consecutive timeouts tolerated without progress before giving up; default 3. */
  retries?: number;
  /** Most requests in flight; default min(buf_count − 1, 4) when the device reports its buffers, else 1. */
  window?: number;
  /** Upper bound on data bytes per chunk (the encoded request must still fit the link). */
  maxChunkSize?: number;
  /** Skip asking the device for its buffer size (use only the link MTU). */
  skipParams?: boolean;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
  /** Clock in ms (tests inject one); defaults to performance.now(). */
  now?: () => number;
}

export interface UploadResult {
  readonly total: number;
  /** What the file says about itself; undefined for a forced non-image. */
  readonly version: string | undefined;
  /** The image hash (SHA256 TLV) that `image list` will show and `image test` takes. */
  readonly imageHash: Uint8Array | undefined;
  /** SHA-256 of the whole file (the `sha` sent to the device). */
  readonly sha256: Uint8Array;
  /** The device's verdict on the final chunk; undefined when it does not check. */
  readonly match: boolean | undefined;
  readonly elapsedMs: number;
  /** Largest encoded request allowed, and the data bytes that fit in a continuation chunk. */
  readonly requestLimit: number;
  readonly chunkSize: number;
  readonly window: number;
  readonly requests: number;
  readonly timeouts: number;
}

export class UploadError extends Error {
  override readonly name: string = 'UploadError';
  constructor(
    message: string,
    /** Offset the device last acknowledged. */
    readonly offset: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The file is not an MCUboot image and the upload was not forced. */
export class NotAnImageError extends UploadError {
  override readonly name = 'NotAnImageError';
  constructor(readonly detail: ImageFormatError) {
    super(`Refusing to upload: the file is not a valid MCUboot image (${detail.message}).`, 0, {
      cause: detail,
    });
  }
}

export interface InspectedImage {
  readonly image: McubootImage | undefined;
  readonly version: string | undefined;
  readonly imageHash: Uint8Array | undefined;
}

/** Parses the file as an MCUboot image; refuses anything else unless `force`. */
export function inspectImage(data: Uint8Array, force = false): InspectedImage {
  try {
    const image = parseImage(data);
    return { image, version: formatVersion(image.header.version), imageHash: image.sha256Hash };
  } catch (err) {
    if (!(err instanceof ImageFormatError)) throw err;
    if (!force) throw new NotAnImageError(err);
    return { image: undefined, version: undefined, imageHash: undefined };
  }
}

export const DEFAULT_CHUNK_TIMEOUT_MS = 5_000;
export const DEFAULT_FIRST_CHUNK_TIMEOUT_MS = 40_000;
export const DEFAULT_UPLOAD_RETRIES = 3;
export const MAX_DEFAULT_WINDOW = 4;

/**
 * Zephyr shares buf_count netbufs between queued requests and the response being built, so at most
 * buf_count − 1 requests can wait without one being dropped. Beyond 4 the link, not the device,
 * is the bottleneck, and a loss would cost a larger burst of stale requests.
 */
export function defaultWindow(params: DeviceBufferParams | undefined): number {
  if (params === undefined) return 1;
  return Math.max(1, Math.min(params.bufCount - 1, MAX_DEFAULT_WINDOW));
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
}

/** Uploads the image file `data` to the device behind `link`. */
export async function uploadImage(
  link: UploadLink,
  data: Uint8Array,
  options: UploadOptions = {},
): Promise<UploadResult> {
  const inspected = inspectImage(data, options.force);
  if (data.length < MIN_FIRST_CHUNK) {
    throw new UploadError(
      `The file is ${data.length} bytes; an image upload needs at least ${MIN_FIRST_CHUNK} (the MCUboot header).`,
      0,
    );
  }
  options.signal?.throwIfAborted();
  const sha = await sha256(data);
  const params =
    options.skipParams || link.bufferParams === undefined
      ? undefined
      : await link.bufferParams(options.signal);
  const limit = requestLimit(link.mtu, link.kind, params?.bufSize);
  const window = Math.max(1, Math.floor(options.window ?? defaultWindow(params)));
  const run = new UploadRun(link, data, sha, limit, window, options);
  const outcome = await run.start();
  return { ...outcome, version: inspected.version, imageHash: inspected.imageHash };
}

type RunOutcome = Omit<UploadResult, 'version' | 'imageHash'>;

interface InFlight {
  readonly off: number;
  readonly length: number;
  /** Rewind generation when sent; replies from older generations describe a superseded plan. */
  readonly generation: number;
}

class UploadRun {
  private readonly total: number;
  private readonly imageNumber: number;
  private readonly upgrade: boolean;
  private readonly timeoutMs: number;
  private readonly firstTimeoutMs: number;
  private readonly retries: number;
  private readonly maxChunk: number;
  private readonly now: () => number;
  private readonly inFlight = new Set<InFlight>();
  private nextOff = 0;
  private deviceOff = 0;
  private highestOff = 0;
  /** Bytes the device already held when we started (resume); not counted in the rate. */
  private resumedFrom: number | undefined;
  private generation = 0;
  private window = 1;
  private consecutiveTimeouts = 0;
  private rewindsWithoutProgress = 0;
  private requests = 0;
  private timeouts = 0;
  private startedAt = 0;
  private finished = false;
  private resolve: (result: RunOutcome) => void = () => {};
  private reject: (err: unknown) => void = () => {};

  constructor(
    private readonly link: UploadLink,
    private readonly data: Uint8Array,
    private readonly sha: Uint8Array,
    private readonly limit: number,
    private readonly maxWindow: number,
    private readonly options: UploadOptions,
  ) {
    this.total = data.length;
    this.imageNumber = options.image ?? 0;
    this.upgrade = options.upgrade ?? false;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CHUNK_TIMEOUT_MS;
    this.firstTimeoutMs = Math.max(
      options.firstChunkTimeoutMs ?? DEFAULT_FIRST_CHUNK_TIMEOUT_MS,
      this.timeoutMs,
    );
    this.retries = options.retries ?? DEFAULT_UPLOAD_RETRIES;
    this.maxChunk = options.maxChunkSize ?? Number.POSITIVE_INFINITY;
    this.now = options.now ?? (() => globalThis.performance.now());
    const firstData = maxChunkData(this.fieldsAt(0), limit);
    if (firstData < MIN_FIRST_CHUNK || this.maxChunk < MIN_FIRST_CHUNK) {
      throw new UploadError(
        `A request may be at most ${limit} bytes on this link, too small for the first upload chunk ` +
          `(it needs ${MIN_FIRST_CHUNK} data bytes plus len and sha); raise the MTU.`,
        0,
      );
    }
  }

  start(): Promise<RunOutcome> {
    return new Promise<RunOutcome>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.startedAt = this.now();
      const signal = this.options.signal;
      if (signal !== undefined) {
        const onAbort = () => this.fail(signal.reason ?? new UploadError('Upload aborted.', this.deviceOff));
        signal.addEventListener('abort', onAbort, { once: true });
        const cleanup = () => signal.removeEventListener('abort', onAbort);
        this.cleanup = cleanup;
      }
      this.pump();
    });
  }

  private cleanup: () => void = () => {};

  private fieldsAt(off: number): ChunkFields {
    if (off !== 0) return { off };
    return {
      off,
      first: { len: this.total, shaLength: this.sha.length, image: this.imageNumber, upgrade: this.upgrade },
    };
  }

  private chunkLengthAt(off: number): number {
    const fit = maxChunkData(this.fieldsAt(off), this.limit);
    return Math.min(fit, this.maxChunk, this.total - off);
  }

  private pump(): void {
    while (!this.finished && this.inFlight.size < this.window && this.nextOff < this.total) {
      this.send(this.nextOff);
    }
  }

  private send(off: number): void {
    const length = this.chunkLengthAt(off);
    const request: UploadChunkRequest = { off, data: this.data.subarray(off, off + length) };
    if (off === 0) {
      request.image = this.imageNumber;
      request.len = this.total;
      request.sha = this.sha;
      if (this.upgrade) request.upgrade = true;
    }
    const entry: InFlight = { off, length, generation: this.generation };
    this.inFlight.add(entry);
    this.nextOff = off + length;
    this.requests++;
    const timeoutMs = off === 0 ? this.firstTimeoutMs : this.timeoutMs;
    const sendOptions: { timeoutMs: number; signal?: AbortSignal } = { timeoutMs };
    if (this.options.signal !== undefined) sendOptions.signal = this.options.signal;
    this.link.sendChunk(request, sendOptions).then(
      (response) => this.onReply(entry, response),
      (err: unknown) => this.onFailure(entry, err),
    );
  }

  private onReply(entry: InFlight, response: UploadChunkResponse): void {
    this.inFlight.delete(entry);
    if (this.finished) return;
    const off = response.off;
    if (!Number.isInteger(off) || off < 0 || off > this.total) {
      this.fail(
        new UploadError(
          `The device reported offset ${String(off)}, outside the ${this.total}-byte image.`,
          this.deviceOff,
        ),
      );
      return;
    }
    if (off === this.total) {
      this.complete(response.match);
      return;
    }
    if (entry.generation < this.generation) {
      // Answer to a request sent before the last rewind: the plan has moved on.
      this.pump();
      return;
    }
    this.deviceOff = off;
    this.consecutiveTimeouts = 0;
    this.window = Math.min(this.window + 1, this.maxWindow);
    if (this.resumedFrom === undefined) this.resumedFrom = off > entry.off + entry.length ? off : 0;
    if (off > this.highestOff) {
      this.highestOff = off;
      this.rewindsWithoutProgress = 0;
      this.reportProgress();
    }
    if (off !== entry.off + entry.length) {
      // The device expects another offset: skip ahead (resume) or go back (a chunk was lost).
      if (off <= entry.off && ++this.rewindsWithoutProgress > this.retries + 8) {
        this.fail(
          new UploadError(`The device keeps asking for offset ${off} without progress; giving up.`, off),
        );
        return;
      }
      this.generation++;
      this.nextOff = off;
    }
    this.pump();
  }

  private onFailure(entry: InFlight, err: unknown): void {
    this.inFlight.delete(entry);
    if (this.finished) return;
    if (!this.link.isTimeout(err)) {
      this.fail(err);
      return;
    }
    this.timeouts++;
    if (entry.generation < this.generation) {
      this.pump();
      return;
    }
    this.consecutiveTimeouts++;
    if (this.consecutiveTimeouts > this.retries) {
      const hint =
        entry.off === 0 ? ' The first chunk erases the slot; a slow erase may need a longer timeout.' : '';
      this.fail(
        new UploadError(
          `The device did not answer the chunk at offset ${entry.off} after ${this.consecutiveTimeouts} tries.${hint}`,
          this.deviceOff,
          { cause: err },
        ),
      );
      return;
    }
    // Resend from the last offset the device confirmed; replies to older requests are stale now.
    this.window = 1;
    this.generation++;
    this.nextOff = this.deviceOff;
    this.pump();
  }

  private reportProgress(): void {
    const onProgress = this.options.onProgress;
    if (onProgress === undefined) return;
    const elapsedMs = this.now() - this.startedAt;
    const sent = this.highestOff - (this.resumedFrom ?? 0);
    const bytesPerSecond = elapsedMs > 0 ? (sent * 1000) / elapsedMs : 0;
    onProgress({ bytes: this.highestOff, total: this.total, bytesPerSecond, elapsedMs });
  }

  private complete(match: boolean | undefined): void {
    this.deviceOff = this.total;
    this.highestOff = this.total;
    this.reportProgress();
    if (match === false) {
      this.fail(
        new UploadError(
          'The device stored all bytes but reports that they do not match the SHA-256 of the file (match=false).',
          this.total,
        ),
      );
      return;
    }
    this.finished = true;
    this.cleanup();
    this.resolve({
      total: this.total,
      sha256: this.sha,
      match,
      elapsedMs: this.now() - this.startedAt,
      requestLimit: this.limit,
      chunkSize: Math.min(maxChunkData(this.fieldsAt(this.total), this.limit), this.maxChunk),
      window: this.maxWindow,
      requests: this.requests,
      timeouts: this.timeouts,
    });
  }

  private fail(err: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.cleanup();
    this.reject(err);
  }
}
