/**
 * The chunked-transfer engine: keeps a window of offset-addressed requests in flight, paces it,
 * retries, times out, falls back to smaller requests, rides over a reconnecting link, reports
 * progress and stops on abort, whichever SMP command carries the chunks. What a chunk request
 * holds and what an answer means belong to a session of one transfer kind (./session.ts):
 * image upload (Zephyr img_mgmt.c), fs upload and fs download (Zephyr fs_mgmt.c).
 *
 * The window starts at 1 (a first chunk may erase a slot or truncate a file for seconds), grows
 * by one per answer, halves when the session says a request went missing (the device asked for
 * an earlier offset, as a sender backs off on loss) and falls back to 1 after a timeout. Every
 * restart bumps a generation: answers to requests of an older generation describe a superseded
 * plan and only count where the session says so (late news over UDP).
 *
 * Requests the device drops while it still answers small ones (larger than its receive buffer)
 * make the engine fall back to smaller requests, with a notice.
 * Pure: no Node imports.
 */
import type { TransferErrors } from './errors.ts';
import type { SendChunkOptions, TransferLink } from './link.ts';

/** One request a session planned. */
export interface PlannedChunk<A> {
  /** File offset the request starts at. */
  readonly off: number;
  /** File bytes it carries (upload) or asks for as far as known (download). */
  readonly length: number;
  /** True when the request filled the request limit: its answer proves the limit. */
  readonly full: boolean;
  /** Overrides the engine's per-request timeout (a first chunk that erases a slot). */
  readonly timeoutMs?: number;
  /**
   * Overrides whether the link should tell a dropped request from a lost device (by default: until
   * a full request at the current limit was answered). A tiny request need not.
   */
  readonly detectTooLarge?: boolean;
  /** Sends the request and resolves with the session's reading of the device's answer. */
  send(options: SendChunkOptions): Promise<A>;
}

/** What an answer means, as the session reads it. */
export type Verdict<R> =
  /** Older news than the engine already has (out of order over UDP); nothing to do. */
  | { readonly kind: 'late' }
  /** The transfer is complete. */
  | { readonly kind: 'done'; readonly result: R }
  /**
   * The device answered. `progressed`: what it confirmed grew. `rewind`: the session's plan went
   * back to `to` (a request went missing when `lost`; `noProgress` when the device asks again for
   * an offset at or before the chunk's own).
   */
  | {
      readonly kind: 'ack';
      readonly progressed: boolean;
      readonly rewind?: { readonly to: number; readonly lost: boolean; readonly noProgress: boolean };
    };

/** One transfer's state and rules; the engine drives it. */
export interface TransferSession<A, C extends PlannedChunk<A>, R> {
  /** Total bytes of the transfer, once known (a download learns it from the first answer). */
  total(): number | undefined;
  /** Bytes the device confirmed (upload: its offset; download: bytes received in order). */
  confirmed(): number;
  /** Bytes the device already held at the start (resume); not counted as moved by this run. */
  resumedFrom(): number;
  /** Whether a request limit leaves room for the session's largest fixed fields (first chunk). */
  fits(limit: number): boolean;
  /** Data bytes a continuation request carries at `limit` (for the result). */
  chunkSize(limit: number): number;
  /** The next request to send under `limit`, or undefined when nothing is to be asked now. */
  next(limit: number): C | undefined;
  /** Reads an answer; `stale` when its request belongs to an older generation. Throws to fail. */
  onAnswer(chunk: C, answer: A, stale: boolean): Verdict<R>;
  /** Plan again from what the device confirmed (after a timeout, a drop or a lost link). */
  restart(): void;
  /**
   * A request of an older generation got no answer. The engine does not restart for it (its plan
   * is superseded), but a session whose requests are independent (a download) asks again for
   * what it still lacks.
   */
  onStaleLoss?(chunk: C): void;
}

export interface EngineOptions {
  /** Timeout per request. */
  readonly timeoutMs: number;
  /** Consecutive timeouts tolerated without progress before giving up. */
  readonly retries: number;
  /** Link losses tolerated without progress (on a link that reconnects). */
  readonly reconnects: number;
  /** Most requests in flight. */
  readonly window: number;
  /** Largest encoded request to start with. */
  readonly requestLimit: number;
  /** What the device's buffers hold (from its params); the first fallback when requests drop. */
  readonly deviceLimit: number | undefined;
  /** "upload" or "download", for messages. */
  readonly noun: string;
  /** What the first request must carry, for the message when no limit fits it. */
  readonly firstChunkNeeds: string;
  /** Added to "did not answer the chunk at offset N after K tries." for the first chunk. */
  readonly firstChunkHint?: string;
  readonly errors: TransferErrors;
  readonly onProgress?: ((progress: TransferProgress) => void) | undefined;
  readonly onNotice?: ((text: string) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly now: () => number;
}

/** What a caller tunes on every chunked transfer (image upload, fs upload and download). */
export interface TransferOptions {
  /** Timeout per request, default 5 s. */
  timeoutMs?: number;
  /** Consecutive timeouts tolerated without progress before giving up; default 3. */
  retries?: number;
  /**
   * Link losses tolerated without progress (on a link that reconnects); default 3. Each reconnect
   * is bounded by the link's own open timeout (for BLE its scan time).
   */
  reconnects?: number;
  /** Most requests in flight; default by the link's kind when the device reports its buffers, else 1. */
  window?: number;
  /**
   * Force the largest request (header + CBOR) instead of deriving it from the link MTU and the
   * device's buffer size, e.g. for a device that misreports its buffers. If the device drops
   * requests this large, the transfer falls back to smaller ones and says so (onNotice).
   */
  requestLimit?: number;
  /** Skip asking the device for its buffer size (use only the link MTU). */
  skipParams?: boolean;
  onProgress?: (progress: TransferProgress) => void;
  /** Things the user should know that do not stop the transfer (a fallback to smaller requests). */
  onNotice?: (text: string) => void;
  signal?: AbortSignal;
  /** Clock in ms (tests inject one); defaults to performance.now(). */
  now?: () => number;
}

export interface TransferProgress {
  /** Bytes the device confirmed (upload: its offset; download: bytes received in order). */
  readonly bytes: number;
  /** Total bytes; 0 while a download does not know it yet. */
  readonly total: number;
  /** Bytes moved by this run: `bytes` less what the device already held when it resumed. */
  readonly sentBytes: number;
  /** Offset the transfer resumed at, 0 for a new one. */
  readonly resumedFrom: number;
  /** Bytes moved by this run per second since the transfer started. */
  readonly bytesPerSecond: number;
  readonly elapsedMs: number;
}

/** What every transfer reports: its size, its time and how the requests went. */
export interface TransferCounts {
  readonly total: number;
  readonly elapsedMs: number;
  /** Bytes moved by this run (total less resumedFrom). */
  readonly sentBytes: number;
  readonly resumedFrom: number;
  /** Largest encoded request used in the end, and the data bytes a continuation request carries. */
  readonly requestLimit: number;
  readonly chunkSize: number;
  /** Most requests allowed in flight. */
  readonly window: number;
  readonly requests: number;
  readonly timeouts: number;
}

/** What every transfer reports besides its own result. */
export interface EngineOutcome<R> extends TransferCounts {
  readonly result: R;
}

interface InFlight<C> {
  readonly chunk: C;
  /** Restart generation when sent; answers from older generations describe a superseded plan. */
  readonly generation: number;
  /** Request limit when sent (its answer proves the limit only if it still holds). */
  readonly limit: number;
}

/** Requests the device dropped at one size (while answering a probe) before the engine shrinks. */
const DROPS_BEFORE_SHRINK = 2;

/** Runs one transfer session to its end. */
export function runTransfer<A, C extends PlannedChunk<A>, R>(
  link: TransferLink,
  session: TransferSession<A, C, R>,
  options: EngineOptions,
): Promise<EngineOutcome<R>> {
  return new TransferRun(link, session, options).start();
}

class TransferRun<A, C extends PlannedChunk<A>, R> {
  private readonly inFlight = new Set<InFlight<C>>();
  private limit: number;
  /** Set once the device answered a full chunk at the current limit: no probing needed then. */
  private limitProven = false;
  private drops = 0;
  private generation = 0;
  private window = 1;
  private consecutiveTimeouts = 0;
  private lossesWithoutProgress = 0;
  private rewindsWithoutProgress = 0;
  private requests = 0;
  private timeouts = 0;
  private startedAt = 0;
  private finished = false;
  private resolve: (outcome: EngineOutcome<R>) => void = () => {};
  private reject: (err: unknown) => void = () => {};
  private cleanup: () => void = () => {};

  constructor(
    private readonly link: TransferLink,
    private readonly session: TransferSession<A, C, R>,
    private readonly options: EngineOptions,
  ) {
    this.limit = options.requestLimit;
    if (!session.fits(this.limit)) {
      throw options.errors.failure(
        `A request may be at most ${this.limit} bytes on this link, too small for the first ${options.noun} chunk ` +
          `(it needs ${options.firstChunkNeeds}); raise the MTU.`,
        0,
        { fault: 'local' },
      );
    }
  }

  start(): Promise<EngineOutcome<R>> {
    return new Promise<EngineOutcome<R>>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.startedAt = this.options.now();
      const signal = this.options.signal;
      if (signal !== undefined) {
        const onAbort = () =>
          this.fail(this.options.errors.aborted(this.session.confirmed(), this.session.total()));
        signal.addEventListener('abort', onAbort, { once: true });
        this.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.pump();
    });
  }

  private pump(): void {
    while (!this.finished && this.inFlight.size < this.window) {
      let chunk: C | undefined;
      try {
        chunk = this.session.next(this.limit);
      } catch (err) {
        this.fail(err);
        return;
      }
      if (chunk === undefined) break;
      this.send(chunk);
    }
  }

  private send(chunk: C): void {
    const entry: InFlight<C> = { chunk, generation: this.generation, limit: this.limit };
    this.inFlight.add(entry);
    this.requests++;
    const sendOptions: SendChunkOptions = {
      timeoutMs: chunk.timeoutMs ?? this.options.timeoutMs,
      detectTooLarge: chunk.detectTooLarge ?? !this.limitProven,
    };
    if (this.options.signal !== undefined) sendOptions.signal = this.options.signal;
    let sent: Promise<A>;
    try {
      sent = chunk.send(sendOptions);
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(
      (answer) => this.onAnswer(entry, answer),
      (err: unknown) => this.onFailure(entry, err),
    );
  }

  private onAnswer(entry: InFlight<C>, answer: A): void {
    this.inFlight.delete(entry);
    if (this.finished) return;
    if (entry.chunk.full && entry.limit === this.limit) this.limitProven = true;
    let verdict: Verdict<R>;
    try {
      verdict = this.session.onAnswer(entry.chunk, answer, entry.generation < this.generation);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (verdict.kind === 'done') {
      this.complete(verdict.result);
      return;
    }
    if (verdict.kind === 'late' || entry.generation < this.generation) {
      this.pump();
      return;
    }
    this.consecutiveTimeouts = 0;
    this.window = Math.min(this.window + 1, this.options.window);
    if (verdict.progressed) {
      this.rewindsWithoutProgress = 0;
      this.lossesWithoutProgress = 0;
      this.reportProgress();
    }
    const rewind = verdict.rewind;
    if (rewind !== undefined) {
      if (rewind.noProgress && ++this.rewindsWithoutProgress > this.options.retries + 8) {
        this.fail(
          this.options.errors.failure(
            `The device keeps asking for offset ${rewind.to} without progress; giving up.`,
            rewind.to,
            { fault: 'device' },
          ),
        );
        return;
      }
      if (rewind.lost) this.window = Math.max(1, Math.floor(this.window / 2));
      this.generation++;
    }
    this.pump();
  }

  private onFailure(entry: InFlight<C>, err: unknown): void {
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
      this.session.onStaleLoss?.(entry.chunk);
      this.pump();
      return;
    }
    this.consecutiveTimeouts++;
    if (this.consecutiveTimeouts > this.options.retries) {
      const hint =
        entry.chunk.off === 0 && this.options.firstChunkHint ? ` ${this.options.firstChunkHint}` : '';
      this.fail(
        this.options.errors.failure(
          `The device did not answer the chunk at offset ${entry.chunk.off} after ${this.consecutiveTimeouts} tries.${hint}`,
          this.session.confirmed(),
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
  private onDropped(entry: InFlight<C>): void {
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
    const noun = this.options.noun;
    // What the device's params say it holds; then one write of a splitting link (a device built
    // without reassembly takes each write as a whole request); then half.
    const fragment = this.link.fragmentSize;
    const deviceLimit = this.options.deviceLimit;
    const next =
      deviceLimit !== undefined && deviceLimit < from
        ? deviceLimit
        : fragment !== undefined && fragment < from
          ? fragment
          : Math.floor(from / 2);
    if (!this.session.fits(next)) {
      this.fail(
        this.options.errors.failure(
          `The device answers small requests but dropped every ${noun} request down to ${from} bytes; ` +
            `smaller ones cannot carry the first chunk. Check its MCUmgr buffer configuration ` +
            '(CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE, the UART or UDP MTU).',
          this.session.confirmed(),
          { fault: 'device' },
        ),
      );
      return;
    }
    this.options.onNotice?.(
      `The device did not answer ${from}-byte ${noun} requests but answers small ones: they are probably ` +
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
   * scans for the device) and starts at what the device confirmed, with a window of one.
   */
  private onLinkLost(entry: InFlight<C>, err: unknown): void {
    if (entry.generation < this.generation) {
      this.pump();
      return;
    }
    const at = this.session.confirmed();
    const total = this.session.total();
    const of = total === undefined ? '' : ` of ${total}`;
    if (++this.lossesWithoutProgress > this.options.reconnects) {
      this.fail(
        this.options.errors.failure(
          `The link dropped ${this.lossesWithoutProgress} times without progress at byte ${at}${of}; giving up. ` +
            'Run the command again to resume from there.',
          at,
          { cause: err, fault: 'no-answer' },
        ),
      );
      return;
    }
    this.options.onNotice?.(`The link dropped at byte ${at}${of}; connecting again to resume there.`);
    this.restartFromDevice();
  }

  /** Resends from what the device confirmed; answers to older requests are stale now. */
  private restartFromDevice(): void {
    this.window = 1;
    this.generation++;
    this.session.restart();
    this.pump();
  }

  private reportProgress(): void {
    const onProgress = this.options.onProgress;
    if (onProgress === undefined) return;
    const elapsedMs = this.options.now() - this.startedAt;
    const resumedFrom = this.session.resumedFrom();
    const bytes = this.session.confirmed();
    const sentBytes = Math.max(0, bytes - resumedFrom);
    const bytesPerSecond = elapsedMs > 0 ? (sentBytes * 1000) / elapsedMs : 0;
    onProgress({
      bytes,
      total: this.session.total() ?? 0,
      sentBytes,
      resumedFrom,
      bytesPerSecond,
      elapsedMs,
    });
  }

  private complete(result: R): void {
    this.reportProgress();
    this.finished = true;
    this.cleanup();
    const total = this.session.total() ?? this.session.confirmed();
    const resumedFrom = this.session.resumedFrom();
    this.resolve({
      result,
      total,
      elapsedMs: this.options.now() - this.startedAt,
      sentBytes: total - resumedFrom,
      resumedFrom,
      requestLimit: this.limit,
      chunkSize: this.session.chunkSize(this.limit),
      window: this.options.window,
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
