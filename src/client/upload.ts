/**
 * The image upload engine (SMP image group, command 1), following Zephyr's upload state machine
 * (img_mgmt.c, zephyr_img_mgmt.c img_mgmt_upload_inspect):
 * - the first chunk (off = 0) carries len, sha (SHA-256 of the whole file, the resume key) and image;
 * - the device's `off` is the truth: a later offset skips ahead (resume), an earlier one rewinds
 *   (a chunk was lost); within one upload session the device's offset never goes back;
 * - Zephyr keeps ONE session: a first chunk with another sha (another client) silently restarts it
 *   at 0 for that client, and every other client's chunk is answered with that session's offset;
 *   a finished session answers 0. So an answer below what the device had acknowledged when its
 *   request left means another client took over, and the upload stops and says so instead of
 *   fighting over the slot; an answer below a later acknowledgment but not that is only late
 *   (a UDP network delivered it out of order) and is ignored;
 * - a window of requests is kept in flight, as large as the link's kind allows for the device's
 *   buffers; it starts at 1 (the first chunk may erase the slot for seconds), grows by one per
 *   acknowledged chunk, halves when the device asks for an earlier offset (a request went
 *   missing) and falls back to 1 after a timeout;
 * - requests the device drops while it still answers small ones (larger than its receive buffer)
 *   make the engine fall back to smaller requests, with a notice;
 * - success is reported only when the device acknowledged off == len, did not say `match: false`,
 *   and its image list shows this file's image.
 * Pure: no Node imports.
 */

import type { imageUpload } from '../groups/image/models.ts';
import { ImageFormatError } from '../image/errors.ts';
import { type McubootImage, parseImage } from '../image/format.ts';
import { formatVersion } from '../image/version.ts';
import type { RequestOf, ResponseOf } from '../smp/command.ts';
import { bufferBoundWindow } from '../transport/kinds/kind.ts';
import { findKind } from '../transport/kinds/registry.ts';
import type { TransportKind } from '../transport/transport.ts';
import type { Fault } from '../util/fault.ts';
import {
  type ChunkFields,
  deviceRequestLimit,
  MIN_FIRST_CHUNK,
  maxChunkData,
  requestLimit,
} from './upload-sizing.ts';

/** One upload request and its answer, as the image group's command model types them. */
export type UploadChunkRequest = RequestOf<typeof imageUpload>;
export type UploadChunkResponse = ResponseOf<typeof imageUpload>;

export interface DeviceBufferParams {
  /** One SMP buffer (header + CBOR) as reported by os mcumgr params. */
  readonly bufSize: number;
  readonly bufCount: number;
}

/** One row of the device's image list, as far as the upload check needs it. */
export interface SlotImage {
  readonly image?: number;
  readonly slot: number;
  readonly version: string;
  readonly hash: Uint8Array;
}

export interface SendChunkOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Ask the link to tell a dropped request from a lost device (see UploadLink.isTooLarge). */
  detectTooLarge?: boolean;
}

/** What the engine needs from a connected device; DeviceClient provides it. */
export interface UploadLink {
  readonly kind: TransportKind;
  /** Largest SMP packet (header + CBOR) one request may be on this link. */
  readonly mtu: number;
  /** Requests longer than this go as several writes the device must join (Transport.fragmentSize). */
  readonly fragmentSize?: number;
  /** Sends one upload request (no retries of its own) and resolves with the device's reply. */
  sendChunk(request: UploadChunkRequest, options: SendChunkOptions): Promise<UploadChunkResponse>;
  /** The device's buffer parameters, or undefined when it does not report them. */
  bufferParams?(signal?: AbortSignal): Promise<DeviceBufferParams | undefined>;
  /** The device's image list, or undefined when it cannot list images. */
  slotImages?(signal?: AbortSignal): Promise<readonly SlotImage[] | undefined>;
  /** True when `err` means "no reply in time" (retryable); anything else ends the upload. */
  isTimeout(err: unknown): boolean;
  /** True when `err` means the device dropped this request but answers small ones. */
  isTooLarge?(err: unknown): boolean;
  /**
   * True when `err` means the link dropped under the request but the next request opens it again
   * (a BLE link that reconnects, src/transport/reconnecting.ts): the upload then goes on from the
   * device's offset instead of ending.
   */
  isLinkLost?(err: unknown): boolean;
}

export interface UploadProgress {
  /** Bytes the device holds of this upload (its acknowledged offset). */
  readonly bytes: number;
  readonly total: number;
  /** Bytes stored by this run: `bytes` less what the device already held when it resumed. */
  readonly sentBytes: number;
  /** Offset the device resumed at (bytes an earlier, interrupted upload left), 0 for a new upload. */
  readonly resumedFrom: number;
  /** Bytes stored by this run per second since the upload started. */
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
  /**
   * Link losses tolerated without progress (on a link that reconnects); default 3. Each reconnect
   * is bounded by the link's own open timeout (for BLE its scan time).
   */
  reconnects?: number;
  /** Most requests in flight; default by the link's kind when the device reports its buffers, else 1. */
  window?: number;
  /** Upper bound on data bytes per chunk (the encoded request must still fit the link). */
  maxChunkSize?: number;
  /**
   * Force the largest request (header + CBOR) instead of deriving it from the link MTU and the
   * device's buffer size, e.g. for a device that misreports its buffers. If the device drops
   * requests this large, the upload falls back to smaller ones and says so (onNotice).
   */
  requestLimit?: number;
  /** Things the user should know that do not stop the upload (a fallback to smaller requests). */
  onNotice?: (text: string) => void;
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
  /** Bytes stored by this run (total less resumedFrom). */
  readonly sentBytes: number;
  /** Offset the device resumed at; equal to total when it already held the whole file. */
  readonly resumedFrom: number;
  /** Largest encoded request used in the end, and the data bytes that fit in a continuation chunk. */
  readonly requestLimit: number;
  readonly chunkSize: number;
  readonly window: number;
  readonly requests: number;
  readonly timeouts: number;
}

export class UploadError extends Error {
  override readonly name: string = 'UploadError';
  /** Whose fault the failure is, when the upload knows; otherwise its cause's fault applies. */
  declare readonly fault?: Fault;
  constructor(
    message: string,
    /** Offset the device last acknowledged. */
    readonly offset: number,
    options: { cause?: unknown; fault?: Fault } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Only an own property when known, so classifiers that follow `cause` still can.
    if (options.fault !== undefined)
      Object.defineProperty(this, 'fault', { value: options.fault, enumerable: true });
  }
}

/** The file is not an MCUboot image and the upload was not forced. */
export class NotAnImageError extends UploadError {
  override readonly name = 'NotAnImageError';
  constructor(readonly detail: ImageFormatError) {
    super(`Refusing to upload: the file is not a valid MCUboot image (${detail.message}).`, 0, {
      cause: detail,
      fault: 'local',
    });
  }
}

/** The device's upload offset went back: another client started its own upload. */
export class UploadConflictError extends UploadError {
  override readonly name = 'UploadConflictError';
}

/**
 * The upload was cancelled (Ctrl-C). Named AbortError so every front end treats it as a
 * cancellation; the message says where the device stopped and that the same upload resumes.
 */
export class UploadAbortedError extends Error {
  override readonly name = 'AbortError';
  constructor(
    /** Offset the device last acknowledged. */
    readonly offset: number,
    readonly total: number,
  ) {
    super(
      offset > 0
        ? `Upload interrupted at byte ${offset} of ${total} (${Math.floor((offset * 100) / total)}%). ` +
            'The device keeps this upload until it resets or another upload starts: run the same ' +
            'command again to resume from there.'
        : 'Upload interrupted before the device acknowledged any data.',
    );
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
export const DEFAULT_UPLOAD_RECONNECTS = 3;
/**
 * Most requests in flight: what the link's kind allows for the device's buffers
 * (KindDescriptor.pipelineWindow), 1 when the device does not report them.
 */
export function defaultWindow(
  params: DeviceBufferParams | undefined,
  kind: TransportKind,
  requestLimit: number,
): number {
  if (params === undefined) return 1;
  const descriptor = findKind(kind);
  return descriptor === undefined
    ? bufferBoundWindow(params.bufCount)
    : descriptor.pipelineWindow(params.bufCount, requestLimit);
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
      { fault: 'local' },
    );
  }
  options.signal?.throwIfAborted();
  const sha = await sha256(data);
  const params =
    options.skipParams || link.bufferParams === undefined
      ? undefined
      : await link.bufferParams(options.signal);
  const limit = options.requestLimit ?? requestLimit(link.mtu, link.kind, params?.bufSize, link.fragmentSize);
  const deviceLimit = params === undefined ? undefined : deviceRequestLimit(link.kind, params.bufSize);
  const window = Math.max(1, Math.floor(options.window ?? defaultWindow(params, link.kind, limit)));
  const run = new UploadRun(link, data, sha, limit, deviceLimit, window, options);
  const outcome = await run.start();
  if (inspected.imageHash !== undefined) {
    await checkSlot(link, inspected.imageHash, options.image ?? 0, data.length, options.signal);
  }
  return { ...outcome, version: inspected.version, imageHash: inspected.imageHash };
}

/**
 * After the last chunk, the device's image list must show this file's image (hash TLV). This
 * catches what no offset shows, e.g. another client's upload erasing the slot right after ours.
 */
async function checkSlot(
  link: UploadLink,
  imageHash: Uint8Array,
  imageNumber: number,
  total: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (link.slotImages === undefined) return;
  const images = await link.slotImages(signal);
  if (images === undefined) return;
  const ours = images.filter((row) => (row.image ?? 0) === imageNumber);
  if (ours.some((row) => equalBytes(row.hash, imageHash))) return;
  const shown =
    ours.length === 0
      ? 'it lists no image there'
      : `it lists ${ours.map((row) => `slot ${row.slot}: ${row.version} (hash ${hexPrefix(row.hash)}…)`).join(', ')}`;
  throw new UploadError(
    `The device acknowledged all ${total} bytes, but its image list does not show this file's image ` +
      `(hash ${hexPrefix(imageHash)}…): ${shown}. Another client probably uploaded to the device at ` +
      'the same time; make sure nothing else is updating it, then upload again.',
    total,
    { fault: 'device' },
  );
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function hexPrefix(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes.subarray(0, 8)) out += byte.toString(16).padStart(2, '0');
  return out;
}

type RunOutcome = Omit<UploadResult, 'version' | 'imageHash'>;

interface InFlight {
  readonly off: number;
  readonly length: number;
  /** Rewind generation when sent; replies from older generations describe a superseded plan. */
  readonly generation: number;
  /** Request limit when sent, and whether the chunk filled it (so its answer proves the limit). */
  readonly limit: number;
  readonly full: boolean;
  /**
   * The highest offset the device had acknowledged when this request was sent. Within one upload
   * session the device's offset never goes back, so its answer cannot be lower, however late the
   * network delivers the request or the answer.
   */
  readonly ackedAtSend: number;
}

/** Requests the device dropped at one size (while answering a probe) before the engine shrinks. */
const DROPS_BEFORE_SHRINK = 2;

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
  private limit: number;
  /** Set once the device answered a full chunk at the current limit: no probing needed then. */
  private limitProven = false;
  private drops = 0;
  private nextOff = 0;
  private deviceOff = 0;
  private highestOff = 0;
  /** Bytes the device already held when we started (resume); not counted as sent. */
  private resumedFrom: number | undefined;
  private generation = 0;
  private window = 1;
  private consecutiveTimeouts = 0;
  private lossesWithoutProgress = 0;
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
    limit: number,
    /** What the device's buffers hold (from its params); the first fallback when requests drop. */
    private readonly deviceLimit: number | undefined,
    private readonly maxWindow: number,
    private readonly options: UploadOptions,
  ) {
    this.total = data.length;
    this.limit = limit;
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
    if (!this.firstChunkFits(limit) || this.maxChunk < MIN_FIRST_CHUNK) {
      throw new UploadError(
        `A request may be at most ${limit} bytes on this link, too small for the first upload chunk ` +
          `(it needs ${MIN_FIRST_CHUNK} data bytes plus len and sha); raise the MTU.`,
        0,
        { fault: 'local' },
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
        const onAbort = () => this.fail(new UploadAbortedError(this.deviceOff, this.total));
        signal.addEventListener('abort', onAbort, { once: true });
        const cleanup = () => signal.removeEventListener('abort', onAbort);
        this.cleanup = cleanup;
      }
      this.pump();
    });
  }

  private cleanup: () => void = () => {};

  private firstChunkFits(limit: number): boolean {
    return maxChunkData(this.fieldsAt(0), limit) >= MIN_FIRST_CHUNK;
  }

  private fieldsAt(off: number): ChunkFields {
    if (off !== 0) return { off };
    return {
      off,
      first: { len: this.total, shaLength: this.sha.length, image: this.imageNumber, upgrade: this.upgrade },
    };
  }

  private chunkFitAt(off: number): number {
    return Math.min(maxChunkData(this.fieldsAt(off), this.limit), this.maxChunk);
  }

  private pump(): void {
    while (!this.finished && this.inFlight.size < this.window && this.nextOff < this.total) {
      this.send(this.nextOff);
    }
  }

  private send(off: number): void {
    const fit = this.chunkFitAt(off);
    const length = Math.min(fit, this.total - off);
    const request: UploadChunkRequest = { off, data: this.data.subarray(off, off + length) };
    if (off === 0) {
      request.image = this.imageNumber;
      request.len = this.total;
      request.sha = this.sha;
      if (this.upgrade) request.upgrade = true;
    }
    const entry: InFlight = {
      off,
      length,
      generation: this.generation,
      limit: this.limit,
      full: length === fit,
      ackedAtSend: this.highestOff,
    };
    this.inFlight.add(entry);
    this.nextOff = off + length;
    this.requests++;
    const timeoutMs = off === 0 ? this.firstTimeoutMs : this.timeoutMs;
    const sendOptions: SendChunkOptions = { timeoutMs, detectTooLarge: !this.limitProven };
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
          { fault: 'device' },
        ),
      );
      return;
    }
    if (entry.full && entry.limit === this.limit) this.limitProven = true;
    if (off < this.highestOff && off >= entry.ackedAtSend) {
      // Older news: the network (UDP over Wi-Fi or Thread) delivered this request or its answer
      // out of order, after answers that told more. Nothing to do.
      this.pump();
      return;
    }
    if (off < this.highestOff) {
      // Lower than the device had acknowledged before this request left: one session's offset
      // only grows, so this is another session (see the module comment).
      this.fail(
        new UploadConflictError(
          `The device's upload went back from byte ${this.highestOff} to ${off} of ${this.total}: ` +
            `${off === 0 ? 'another client finished or dropped an upload, or the device restarted' : 'another client started its own upload to this device'}. ` +
            'Stopped rather than fight over the slot; run the command again once the other upload is done.',
          this.highestOff,
          { fault: 'device' },
        ),
      );
      return;
    }
    // The first answer (to the first chunk) tells where the device starts: anywhere but right after
    // our first chunk means it kept an earlier upload of this file and ignored our data.
    if (this.resumedFrom === undefined) this.resumedFrom = off !== entry.off + entry.length ? off : 0;
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
    if (off > this.highestOff) {
      this.highestOff = off;
      this.rewindsWithoutProgress = 0;
      this.lossesWithoutProgress = 0;
      this.reportProgress();
    }
    if (off !== entry.off + entry.length) {
      // The device expects another offset: skip ahead (resume) or go back (a chunk was lost).
      if (off <= entry.off && ++this.rewindsWithoutProgress > this.retries + 8) {
        this.fail(
          new UploadError(`The device keeps asking for offset ${off} without progress; giving up.`, off, {
            fault: 'device',
          }),
        );
        return;
      }
      // A request went missing (the device ran out of buffers or the link lost it): halve the
      // window, as a sender backs off on loss; it grows again by one per answer.
      if (off < entry.off + entry.length) this.window = Math.max(1, Math.floor(this.window / 2));
      this.generation++;
      this.nextOff = off;
    }
    this.pump();
  }

  private onFailure(entry: InFlight, err: unknown): void {
    this.inFlight.delete(entry);
    if (this.finished) return;
    if (this.link.isTooLarge?.(err) === true) {
      this.onDropped(entry);
      return;
    }
    if (this.link.isLinkLost?.(err) === true) {
      this.onLinkLost(entry, err);
      return;
    }
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
          { cause: err, fault: 'no-answer' },
        ),
      );
      return;
    }
    this.restartFromDevice();
  }

  /**
   * The device answered a small probe but not this chunk. Once may be a lost packet; again at the
   * same size means the requests are larger than its receive buffer: fall back to what its params
   * say it holds, else to one write of a splitting link, else to half, and tell the user.
   */
  private onDropped(entry: InFlight): void {
    this.timeouts++;
    if (entry.generation < this.generation || entry.limit !== this.limit) {
      this.pump();
      return;
    }
    if (++this.drops < DROPS_BEFORE_SHRINK) {
      this.restartFromDevice();
      return;
    }
    const from = this.limit;
    // What the device's params say it holds; then one write of a splitting link (a device built
    // without reassembly takes each write as a whole request); then half.
    const fragment = this.link.fragmentSize;
    const next =
      this.deviceLimit !== undefined && this.deviceLimit < from
        ? this.deviceLimit
        : fragment !== undefined && fragment < from
          ? fragment
          : Math.floor(from / 2);
    if (!this.firstChunkFits(next)) {
      this.fail(
        new UploadError(
          `The device answers small requests but dropped every upload request down to ${from} bytes; ` +
            'smaller ones cannot carry the first chunk. Check its MCUmgr buffer configuration ' +
            '(CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE, the UART or UDP MTU).',
          this.deviceOff,
          { fault: 'device' },
        ),
      );
      return;
    }
    this.options.onNotice?.(
      `The device did not answer ${from}-byte upload requests but answers small ones: they are probably ` +
        `larger than its receive buffer (CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE${this.link.kind === 'ble' ? '' : ', or the UART or UDP MTU'})` +
        (fragment !== undefined && from > fragment
          ? ', or it does not join requests split over several BLE writes (CONFIG_MCUMGR_TRANSPORT_BT_REASSEMBLY). '
          : '. ') +
        `Continuing with ${next}-byte requests.`,
    );
    this.limit = next;
    this.limitProven = false;
    this.drops = 0;
    this.restartFromDevice();
  }

  /**
   * The link dropped; every request in flight fails with it, and only the first of them (of the
   * current generation) counts. The next request reopens the link (the reconnecting transport
   * scans for the device) and starts at the last offset the device acknowledged, with a window of
   * one: the device answers with its own offset, which the engine follows (img_mgmt.c in Zephyr
   * answers a chunk at an unexpected offset with the offset it expects), so no acknowledged byte
   * is sent again.
   */
  private onLinkLost(entry: InFlight, err: unknown): void {
    if (entry.generation < this.generation) {
      this.pump();
      return;
    }
    const reconnects = this.options.reconnects ?? DEFAULT_UPLOAD_RECONNECTS;
    if (++this.lossesWithoutProgress > reconnects) {
      this.fail(
        new UploadError(
          `The link dropped ${this.lossesWithoutProgress} times without progress at byte ${this.deviceOff} of ${this.total}; giving up. ` +
            'Run the command again to resume from there.',
          this.deviceOff,
          { cause: err, fault: 'no-answer' },
        ),
      );
      return;
    }
    this.options.onNotice?.(
      `The link dropped at byte ${this.deviceOff} of ${this.total}; connecting again to resume there.`,
    );
    this.restartFromDevice();
  }

  /** Resends from the last offset the device confirmed; replies to older requests are stale now. */
  private restartFromDevice(): void {
    this.window = 1;
    this.generation++;
    this.nextOff = this.deviceOff;
    this.pump();
  }

  private reportProgress(): void {
    const onProgress = this.options.onProgress;
    if (onProgress === undefined) return;
    const elapsedMs = this.now() - this.startedAt;
    const resumedFrom = this.resumedFrom ?? 0;
    const sentBytes = Math.max(0, this.highestOff - resumedFrom);
    const bytesPerSecond = elapsedMs > 0 ? (sentBytes * 1000) / elapsedMs : 0;
    onProgress({
      bytes: this.highestOff,
      total: this.total,
      sentBytes,
      resumedFrom,
      bytesPerSecond,
      elapsedMs,
    });
  }

  private complete(match: boolean | undefined): void {
    this.deviceOff = this.total;
    this.highestOff = this.total;
    this.reportProgress();
    if (match === false) {
      this.fail(
        new UploadError(
          'The device stored all bytes but reports that they do not match the SHA-256 of the file (match=false): ' +
            'some bytes were damaged on the way or in flash. Run the same command again: the upload starts ' +
            'over and normally succeeds; if it fails again, check the link and the device.',
          this.total,
          { fault: 'device' },
        ),
      );
      return;
    }
    this.finished = true;
    this.cleanup();
    const resumedFrom = this.resumedFrom ?? 0;
    this.resolve({
      total: this.total,
      sha256: this.sha,
      match,
      elapsedMs: this.now() - this.startedAt,
      sentBytes: this.total - resumedFrom,
      resumedFrom,
      requestLimit: this.limit,
      chunkSize: this.chunkFitAt(this.total),
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
