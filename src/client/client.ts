/**
 * The SMP request/response client: sequence numbers, matching replies to requests (several may be
 * in flight), timeouts with resend, and turning replies into typed results or SmpErrors.
 * Pure: runs in Node and browsers (setTimeout and AbortSignal are globals).
 */

import { type CborValue, decodeCbor, encodePacket, isCborMap, splitMessages } from '../smp/codec.ts';
import {
  decodeResponse,
  encodeRequest,
  type RequestOf,
  type ResponseOf,
  requestOp,
  type SmpCommand,
} from '../smp/command.ts';
import { errorFromResponse, SmpProtocolError, SmpTimeoutError } from '../smp/errors.ts';
import {
  decodeHeader,
  isResponseOp,
  responseOpFor,
  SMP_HEADER_SIZE,
  type SmpHeader,
  type SmpVersion,
} from '../smp/header.ts';
import { SchemaError } from '../smp/schema.ts';
import type { Transport } from '../transport/transport.ts';

export interface SmpClientOptions {
  /** SMP version to start with (default 2). Falls back to 1 when the device answers in v1. */
  readonly version?: SmpVersion;
  /** Time to wait for each attempt's reply (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Resends after a timeout (default 2, so 3 attempts). */
  readonly retries?: number;
}

export interface RequestOptions {
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly signal?: AbortSignal;
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
}

interface Reply {
  readonly header: SmpHeader;
  readonly payload: Uint8Array;
}

interface InFlight {
  readonly group: number;
  readonly command: number;
  readonly op: number;
  deliver: ((reply: Reply) => void) | undefined;
  fail: ((error: Error) => void) | undefined;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_RETRIES = 2;

export class SmpClient {
  readonly stats: SmpClientStats = {
    requests: 0,
    responses: 0,
    retransmits: 0,
    timeouts: 0,
    staleReplies: 0,
    malformedReplies: 0,
  };
  private currentVersion: SmpVersion;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private nextSequence = 0;
  private readonly inFlight = new Map<number, InFlight>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    readonly transport: Transport,
    options: SmpClientOptions = {},
  ) {
    this.currentVersion = options.version ?? 2;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retries = options.retries ?? DEFAULT_RETRIES;
    this.unsubscribe = transport.onPacket((packet) => this.receive(packet));
  }

  /** The SMP version used for the next request. */
  get version(): SmpVersion {
    return this.currentVersion;
  }

  /** Number of requests waiting for a reply. */
  get pending(): number {
    return this.inFlight.size;
  }

  async request<C extends SmpCommand>(
    command: C,
    body: RequestOf<C>,
    options: RequestOptions = {},
  ): Promise<ResponseOf<C>> {
    if (this.closed) throw new Error(`${command.name}: SMP client is closed`);
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
    const entry: InFlight = {
      group: command.group,
      command: command.id,
      op: responseOpFor(op),
      deliver: undefined,
      fail: undefined,
    };
    this.inFlight.set(sequence, entry);
    this.stats.requests++;
    try {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (attempt > 1) this.stats.retransmits++;
        const reply = await this.attempt(entry, packet, timeoutMs, signal);
        if (reply !== undefined) {
          if (reply.header.version === 1 && version === 2) this.currentVersion = 1;
          return this.interpret(command, reply);
        }
        this.stats.timeouts++;
      }
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

  /** Sends once and waits; resolves undefined on timeout. */
  private attempt(
    entry: InFlight,
    packet: Uint8Array,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Reply | undefined> {
    return new Promise<Reply | undefined>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
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
        resolve(undefined);
      }, timeoutMs);
      entry.deliver = (reply) => {
        finish();
        resolve(reply);
      };
      entry.fail = (error) => {
        finish();
        reject(error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.transport.send(packet).catch((error: unknown) => {
        entry.fail?.(error instanceof Error ? error : new Error(String(error)));
      });
    });
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
    const deviceError = errorFromResponse(body, { command: command.name });
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
