/**
 * The SMP request/response client: sequence numbers, matching replies to requests (several may be
 * in flight), timeouts with resend, and turning replies into typed results or SmpErrors. Two
 * faster verdicts than a timeout:
 * - a link failure (serial hang-up, ICMP port unreachable) fails the requests waiting at once;
 * - a large request still unanswered after a moment is followed by a tiny probe (os echo). A
 *   device handles SMP requests one at a time in arrival order (Zephyr's SMP work queue), so a
 *   probe answered while the large request is not means the device dropped it: on Zephyr that is
 *   what a request larger than its receive buffer gets (no error, no answer).
 * Pure: runs in Node and browsers (setTimeout and AbortSignal are globals).
 */

import { echo } from '../groups/os/models.ts';
import { type CborValue, decodeCbor, encodePacket, isCborMap, splitMessages } from '../smp/codec.ts';
import {
  decodeResponse,
  encodeRequest,
  type RequestOf,
  type ResponseOf,
  requestOp,
  type SmpCommand,
} from '../smp/command.ts';
import { errorFromResponse, SmpError, SmpProtocolError, SmpTimeoutError } from '../smp/errors.ts';
import {
  decodeHeader,
  isResponseOp,
  responseOpFor,
  SMP_HEADER_SIZE,
  type SmpHeader,
  type SmpVersion,
} from '../smp/header.ts';
import { SchemaError } from '../smp/schema.ts';
import type { LinkError } from '../transport/link-error.ts';
import type { Transport, TransportKind } from '../transport/transport.ts';
import type { Fault } from '../util/fault.ts';

export interface SmpClientOptions {
  /** SMP version to start with (default 2). Falls back to 1 when the device answers in v1. */
  readonly version?: SmpVersion;
  /** Time to wait for each attempt's reply (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Resends after a timeout (default 2, so 3 attempts). */
  readonly retries?: number;
  /** How long a large request may stay unanswered before a probe checks the device (default 1000 ms). */
  readonly probeAfterMs?: number;
}

export interface RequestOptions {
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly signal?: AbortSignal;
  /**
   * Probe the device when this request stays unanswered (see the module comment). Default: when
   * the request is larger than any the device has answered so far on this link.
   */
  readonly detectTooLarge?: boolean;
}

/** The device answers small requests but dropped this one: probably larger than its buffers. */
export class RequestTooLargeError extends Error {
  override readonly name = 'RequestTooLargeError';
  /** The user's request does not suit this device; shortening it is the fix. */
  readonly fault: Fault = 'local';
  constructor(
    readonly command: string,
    /** Size of the dropped request (SMP header + CBOR). */
    readonly size: number,
    /** Largest request the device answered on this link, 0 if none. */
    readonly largestAnswered: number,
    /** The link's kind: what limits a request, and how to shrink one, differ by kind. */
    kind?: TransportKind,
  ) {
    const answered = largestAnswered > 0 ? ` (the largest it answered was ${largestAnswered} bytes)` : '';
    // An echo cannot be split: its text is the request. Other requests shrink with a lower mtu,
    // except over BLE, whose connstring has none (requests are split into writes anyway).
    const action =
      command === 'os echo'
        ? 'send a shorter text'
        : kind === 'ble'
          ? 'make the request smaller'
          : "make the request smaller, or lower the connection's mtu (mtu= in the connstring)";
    const limits =
      kind === 'ble'
        ? 'CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE'
        : 'CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE, or the UART or UDP MTU';
    super(
      `${command}: the device answers small requests but not this ${size}-byte one${answered}; it is ` +
        `probably larger than its receive buffer (${limits}): ${action}`,
    );
  }
}

export interface SmpClientStats {
  requests: number;
  responses: number;
  retransmits: number;
  timeouts: number;
  /** Replies that matched no request in flight (late answers to resent requests, strays). */
  staleReplies: number;
  /** Packets that were not valid SMP responses at all. */
  malformedReplies: number;
  /** Small requests sent to see whether the device still answers (see RequestTooLargeError). */
  probes: number;
  /** Requests the device dropped while answering a probe sent after them. */
  dropped: number;
}

interface Reply {
  readonly header: SmpHeader;
  readonly payload: Uint8Array;
}

interface InFlight {
  readonly size: number;
  readonly group: number;
  readonly command: number;
  readonly op: number;
  deliver: ((reply: Reply) => void) | undefined;
  fail: ((error: Error) => void) | undefined;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_RETRIES = 2;
const DEFAULT_PROBE_AFTER_MS = 1000;
/** Requests up to this size are never probed: the probe itself is about 16 bytes. */
const SMALL_REQUEST = 96;

type Outcome = Reply | 'timeout' | 'dropped';

export class SmpClient {
  readonly stats: SmpClientStats = {
    requests: 0,
    responses: 0,
    retransmits: 0,
    timeouts: 0,
    staleReplies: 0,
    malformedReplies: 0,
    probes: 0,
    dropped: 0,
  };
  private currentVersion: SmpVersion;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly probeAfterMs: number;
  private nextSequence = 0;
  private readonly inFlight = new Map<number, InFlight>();
  private readonly unsubscribe: () => void;
  private readonly unsubscribeLinkError: () => void;
  private closed = false;
  /** Set when the link is gone for good: every later request fails with it at once. */
  private lost: LinkError | undefined;
  /** Largest request (bytes on the wire) the device has answered on this link. */
  private largestAnswered = 0;

  constructor(
    readonly transport: Transport,
    options: SmpClientOptions = {},
  ) {
    this.currentVersion = options.version ?? 2;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retries = options.retries ?? DEFAULT_RETRIES;
    this.probeAfterMs = options.probeAfterMs ?? DEFAULT_PROBE_AFTER_MS;
    this.unsubscribe = transport.onPacket((packet) => this.receive(packet));
    this.unsubscribeLinkError = transport.onLinkError((error) => this.linkFailed(error));
  }

  /** The SMP version used for the next request. */
  get version(): SmpVersion {
    return this.currentVersion;
  }

  /** Number of requests waiting for a reply. */
  get pending(): number {
    return this.inFlight.size;
  }

  request<C extends SmpCommand>(
    command: C,
    body: RequestOf<C>,
    options: RequestOptions = {},
  ): Promise<ResponseOf<C>> {
    return this.exchange(command, body, options, false);
  }

  /** `request`, and for probes (`isProbe`) without counting the answer as a size that passes. */
  private async exchange<C extends SmpCommand>(
    command: C,
    body: RequestOf<C>,
    options: RequestOptions,
    isProbe: boolean,
  ): Promise<ResponseOf<C>> {
    if (this.closed) throw new Error(`${command.name}: SMP client is closed`);
    if (this.lost !== undefined) throw this.lost;
    const signal = options.signal;
    signal?.throwIfAborted();
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const attempts = 1 + Math.max(0, options.retries ?? this.retries);

    const requestBody = encodeRequest(command, body);
    const op = requestOp(command);
    const version = this.currentVersion;
    const sequence = this.allocateSequence(command.name);
    const packet = encodePacket(
      { version, op, flags: 0, group: command.group, sequence, command: command.id },
      requestBody,
    );
    if (packet.length > this.transport.mtu) {
      throw new RangeError(
        `${command.name}: request is ${packet.length} bytes, larger than the link MTU of ${this.transport.mtu} bytes`,
      );
    }
    const probe = options.detectTooLarge ?? packet.length > Math.max(SMALL_REQUEST, this.largestAnswered);
    const entry: InFlight = {
      size: isProbe ? 0 : packet.length,
      group: command.group,
      command: command.id,
      op: responseOpFor(op),
      deliver: undefined,
      fail: undefined,
    };
    this.inFlight.set(sequence, entry);
    this.stats.requests++;
    try {
      let last: Outcome = 'timeout';
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (attempt > 1) this.stats.retransmits++;
        last = await this.attempt(entry, packet, timeoutMs, signal, probe);
        if (typeof last === 'object') {
          if (last.header.version === 1 && version === 2) this.currentVersion = 1;
          return this.interpret(command, last);
        }
        if (last === 'dropped') this.stats.dropped++;
        else this.stats.timeouts++;
      }
      if (last === 'dropped')
        throw new RequestTooLargeError(
          command.name,
          packet.length,
          this.largestAnswered,
          this.transport.kind,
        );
      throw new SmpTimeoutError(command.name, timeoutMs, attempts, sequence);
    } finally {
      if (this.inFlight.get(sequence) === entry) this.inFlight.delete(sequence);
    }
  }

  /** Rejects requests in flight, stops listening and closes the transport. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.unsubscribeLinkError();
    for (const entry of this.inFlight.values())
      entry.fail?.(new Error('SMP client closed while waiting for a reply'));
    this.inFlight.clear();
    await this.transport.close();
  }

  private allocateSequence(name: string): number {
    for (let tries = 0; tries < 256; tries++) {
      const sequence = this.nextSequence;
      this.nextSequence = (this.nextSequence + 1) & 0xff;
      if (!this.inFlight.has(sequence)) return sequence;
    }
    throw new Error(`${name}: 256 requests already in flight; no free sequence number`);
  }

  /** The link failed: the requests waiting fail with its error; a closed link fails all later ones. */
  private linkFailed(error: LinkError): void {
    if (error.closed) this.lost = error;
    for (const entry of this.inFlight.values()) entry.fail?.(error);
  }

  /**
   * Sends once and waits for the reply, the timeout, or (with `probe`) the verdict that the device
   * answered a later probe but dropped this request.
   */
  private attempt(
    entry: InFlight,
    packet: Uint8Array,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    probe: boolean,
  ): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      let done = false;
      let probeTimer: ReturnType<typeof setTimeout> | undefined;
      let probeAbort: AbortController | undefined;
      const finish = () => {
        done = true;
        clearTimeout(timer);
        clearTimeout(probeTimer);
        probeAbort?.abort();
        signal?.removeEventListener('abort', onAbort);
        entry.deliver = undefined;
        entry.fail = undefined;
      };
      const onAbort = () => {
        finish();
        reject(signal?.reason ?? new Error('request aborted'));
      };
      const timer = setTimeout(() => {
        finish();
        resolve('timeout');
      }, timeoutMs);
      const startProbe = () => {
        if (done) return;
        probeAbort = new AbortController();
        void this.probe(probeAbort.signal, timeoutMs).then((answered) => {
          if (done || !answered) return;
          finish();
          resolve('dropped');
        });
      };
      entry.deliver = (reply) => {
        finish();
        resolve(reply);
      };
      entry.fail = (error) => {
        finish();
        reject(error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.transport.send(packet).then(
        () => {
          if (probe && !done) probeTimer = setTimeout(startProbe, Math.min(this.probeAfterMs, timeoutMs / 2));
        },
        (error: unknown) => {
          entry.fail?.(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** True when the device answers a tiny request (any answer, even an error, counts). */
  private async probe(signal: AbortSignal, timeoutMs: number): Promise<boolean> {
    this.stats.probes++;
    try {
      await this.exchange(echo, { d: '' }, { timeoutMs, retries: 0, signal, detectTooLarge: false }, true);
      return true;
    } catch (error) {
      return error instanceof SmpError || error instanceof SmpProtocolError;
    }
  }

  private receive(packet: Uint8Array): void {
    let messages: Uint8Array[];
    try {
      messages = splitMessages(packet);
    } catch {
      this.stats.malformedReplies++;
      return;
    }
    for (const message of messages) this.receiveMessage(message);
  }

  private receiveMessage(message: Uint8Array): void {
    let header: SmpHeader;
    try {
      header = decodeHeader(message);
    } catch {
      this.stats.malformedReplies++;
      return;
    }
    const entry = this.inFlight.get(header.sequence);
    const matches =
      isResponseOp(header.op) &&
      entry !== undefined &&
      entry.deliver !== undefined &&
      entry.group === header.group &&
      entry.command === header.command &&
      entry.op === header.op;
    if (!matches || entry?.deliver === undefined) {
      this.stats.staleReplies++;
      return;
    }
    this.stats.responses++;
    this.largestAnswered = Math.max(this.largestAnswered, entry.size);
    this.inFlight.delete(header.sequence);
    entry.deliver({ header, payload: message.subarray(SMP_HEADER_SIZE) });
  }

  private interpret<C extends SmpCommand>(command: C, reply: Reply): ResponseOf<C> {
    let body: CborValue | undefined;
    try {
      body = reply.payload.length === 0 ? undefined : decodeCbor(reply.payload);
    } catch (error) {
      throw new SmpProtocolError(`${command.name}: malformed response: ${(error as Error).message}`);
    }
    if (!isCborMap(body)) {
      throw new SmpProtocolError(`${command.name}: response payload is not a CBOR map`);
    }
    const deviceError = errorFromResponse(body, { command: command.name, group: command.group });
    if (deviceError) throw deviceError;
    try {
      return decodeResponse(command, body);
    } catch (error) {
      if (error instanceof SchemaError) {
        throw new SmpProtocolError(`${command.name}: malformed response: ${error.message}`);
      }
      throw error;
    }
  }
}
