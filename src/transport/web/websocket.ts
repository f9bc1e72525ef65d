/**
 * The page's side of `zdfu serve`: list the devices the serve offers and open one as a Transport
 * whose packets travel over a WebSocket to the serve, which relays them to the real link (serial,
 * UDP, BLE, a virtual board). The wire protocol is ../../serve/protocol.ts. Pure: no Node imports;
 * in a browser the global WebSocket is used, in Node (tests, scripts) pass the `ws` package's.
 */
import { FleetMirror, type FleetSnapshot, type FleetStreamError } from '../../serve/fleet-protocol.ts';
import {
  decodeServerFrame,
  encodeMessage,
  HELLO_TIMEOUT_MS,
  SERVE_CLOSE,
  SERVE_PROTOCOL_VERSION,
  type ServeCloseName,
  type ServeErrorCode,
  type ServerMessage,
  type ServeTarget,
  serveCloseName,
  serveSocketUrl,
} from '../../serve/protocol.ts';
import type { Fault } from '../../util/fault.ts';
import type { ConnType } from '../kinds/kind.ts';
import { LinkError } from '../link-error.ts';
import { TransportBase } from '../transport-base.ts';

export type { ServeTarget } from '../../serve/protocol.ts';

/** What this module needs of a WebSocket: the browser's global and the `ws` package both fit. */
export interface ServeSocket {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  addEventListener(
    type: 'close',
    listener: (event: { readonly code: number; readonly reason: string }) => void,
  ): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
}

export type ServeSocketConstructor = new (url: string) => ServeSocket;

export interface ServeConnectOptions {
  /** The serve's address: its page origin (`http://127.0.0.1:8117`) or any URL on it. */
  readonly url: string;
  /** The token `zdfu serve` printed (the `#token=` of its URL). */
  readonly token: string;
  /** The WebSocket class; default the global one (browsers, Node 22+). */
  readonly WebSocket?: ServeSocketConstructor;
  /** How long connecting and each answer of the serve may take. Default 10 s. */
  readonly timeoutMs?: number;
}

export interface ServeOpenOptions extends ServeConnectOptions {
  /** A target's id from listServeTargets. */
  readonly target: string;
  /**
   * How long opening the device may take (a BLE scan, a serial port). Default 30 s; the serve
   * gives up on its own after OPEN_TIMEOUT_MS of its own.
   */
  readonly openTimeoutMs?: number;
  /** How long a send may wait for the socket's queue to drain below its limit. Default 10 s. */
  readonly sendTimeoutMs?: number;
}

/** Why talking to the serve failed, in words, with the serve's code when it gave one. */
export class ServeError extends Error {
  override readonly name = 'ServeError';
  constructor(
    message: string,
    readonly code: ServeErrorCode | ServeCloseName | 'unreachable' | 'timeout' | 'protocol' | 'closed',
    readonly fault: Fault,
  ) {
    super(message);
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_OPEN_TIMEOUT_MS = 30_000;
/** Bytes the socket may hold unsent before a send waits (a few uploads' windows of 2 KiB packets). */
export const SEND_HIGH_WATER_BYTES = 256 * 1024;
/** How often a waiting send looks at bufferedAmount again (a page WebSocket has no drain event). */
const DRAIN_POLL_MS = 5;
const OPEN = 1;

/** The devices the serve can open for this page. */
export async function listServeTargets(options: ServeConnectOptions): Promise<ServeTarget[]> {
  const session = await ServeSession.connect(options);
  try {
    const reply = await session.request({ type: 'list' }, 'targets', options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    return [...reply.targets];
  } finally {
    session.socket.close(1000, 'listed');
  }
}

/** Opens a device through the serve: a Transport like any other (SMP packets, console, link errors). */
export async function openServeTransport(options: ServeOpenOptions): Promise<ServeTransport> {
  const session = await ServeSession.connect(options);
  try {
    const opened = await session.request(
      { type: 'open', target: options.target },
      'opened',
      options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS,
    );
    return new ServeTransport(session, opened, options.sendTimeoutMs ?? DEFAULT_TIMEOUT_MS);
  } catch (error) {
    session.socket.close(1000, 'open failed');
    throw error;
  }
}

export interface FleetWatch {
  /** Stops watching (closes the socket). */
  close(): void;
}

export interface FleetWatchHandlers {
  /** A whole, consistent fleet after each update (the first is the whole fleet). */
  readonly onStatus: (snapshot: FleetSnapshot) => void;
  /** The stream ended (the serve or gateway stopped, the stream broke); not called after close(). */
  readonly onEnd: (error: ServeError) => void;
}

/**
 * Watches the fleet of the gateway behind a serve (`zdfu gateway --dashboard`,
 * ../../serve/fleet-protocol.ts). Resolves once the first snapshot arrived (and was given to
 * onStatus); fails in words when the serve has no fleet or does not answer in time.
 */
export async function watchServeFleet(
  options: ServeConnectOptions,
  handlers: FleetWatchHandlers,
): Promise<FleetWatch> {
  const session = await ServeSession.connect(options);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const mirror = new FleetMirror();
  let closed = false;
  let first: { resolve: () => void; reject: (error: ServeError) => void } | undefined;
  const fail = (error: ServeError) => {
    if (closed) return;
    closed = true;
    session.socket.close(1000, 'fleet watch ended');
    if (first) first.reject(error);
    else handlers.onEnd(error);
  };
  session.onEnd = fail;
  session.onMessage = (message) => {
    if (closed || message instanceof Uint8Array) return;
    if (message.type === 'error') {
      fail(new ServeError(message.message, message.code, faultOfCode(message.code)));
      return;
    }
    if (message.type !== 'fleet') return;
    let snapshot: FleetSnapshot | undefined;
    try {
      snapshot = mirror.apply(message);
    } catch (error) {
      fail(new ServeError((error as FleetStreamError).message, 'protocol', 'local'));
      return;
    }
    if (snapshot === undefined) return;
    handlers.onStatus(snapshot);
    const waiting = first;
    first = undefined;
    waiting?.resolve();
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        fail(
          new ServeError(`zdfu serve sent no fleet status within ${timeoutMs} ms`, 'timeout', 'no-answer'),
        ),
      timeoutMs,
    );
    first = {
      resolve: () => {
        clearTimeout(timer);
        resolve();
      },
      reject: (error) => {
        clearTimeout(timer);
        reject(error);
      },
    };
    session.socket.send(encodeMessage({ type: 'fleet' }));
  });
  return {
    close() {
      if (closed) return;
      closed = true;
      session.socket.close(1000, 'page stopped watching the fleet');
    },
  };
}

type Reply<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

/** One socket to the serve, from hello on: one question at a time, answered or refused. */
class ServeSession {
  private waiter:
    | { type: string; resolve: (m: ServerMessage) => void; reject: (e: Error) => void }
    | undefined;
  /** Once the socket is closed or broke the protocol: what every later question fails with. */
  ended: ServeError | undefined;
  /** The device link's handler once opened; before, messages answer questions. */
  onMessage: ((message: ServerMessage | Uint8Array) => void) | undefined;
  onEnd: ((error: ServeError) => void) | undefined;

  private constructor(
    readonly socket: ServeSocket,
    readonly where: string,
  ) {
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('message', (event) => this.receive(event.data));
    socket.addEventListener('close', (event) => this.end(closeError(event.code, event.reason, where)));
    // A browser tells nothing more in 'error' (a close event follows), so the close says it all.
    socket.addEventListener('error', () => undefined);
  }

  static async connect(options: ServeConnectOptions): Promise<ServeSession> {
    const Socket = options.WebSocket ?? globalThis.WebSocket;
    if (Socket === undefined) {
      throw new ServeError(
        'this runtime has no WebSocket: pass one (e.g. the ws package)',
        'protocol',
        'local',
      );
    }
    const where = serveSocketUrl(options.url);
    const session = new ServeSession(new Socket(where), where);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    await session.opened(timeoutMs);
    try {
      const hello = await session.request(
        { type: 'hello', protocol: SERVE_PROTOCOL_VERSION, token: options.token },
        'hello',
        Math.min(timeoutMs, HELLO_TIMEOUT_MS * 2),
      );
      if (hello.protocol !== SERVE_PROTOCOL_VERSION) {
        throw new ServeError(
          `${hello.server} speaks zdfu serve protocol ${hello.protocol}, this page ${SERVE_PROTOCOL_VERSION}: use a page and a zdfu of the same version`,
          'protocolVersion',
          'local',
        );
      }
    } catch (error) {
      session.socket.close(1000, 'hello failed');
      throw error;
    }
    return session;
  }

  private opened(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.close(1000, 'connect timeout');
        reject(
          new ServeError(
            `zdfu serve at ${this.where} did not accept the connection within ${timeoutMs} ms`,
            'timeout',
            'no-answer',
          ),
        );
      }, timeoutMs);
      this.socket.addEventListener('open', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.addEventListener('close', (event) => {
        clearTimeout(timer);
        reject(closeError(event.code, event.reason, this.where));
      });
    });
  }

  /** Sends `message` and waits for the reply of `type`; an `error` reply or a close rejects. */
  request<T extends ServerMessage['type']>(
    message: Parameters<typeof encodeMessage>[0],
    type: T,
    timeoutMs: number,
  ): Promise<Reply<T>> {
    if (this.ended) return Promise.reject(this.ended);
    if (this.waiter)
      return Promise.reject(new ServeError('one question to zdfu serve at a time', 'protocol', 'local'));
    return new Promise<Reply<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(
          new ServeError(
            `zdfu serve did not answer "${message.type}" within ${timeoutMs} ms`,
            'timeout',
            'no-answer',
          ),
        );
      }, timeoutMs);
      this.waiter = {
        type,
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply as Reply<T>);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.socket.send(encodeMessage(message));
    });
  }

  private receive(data: unknown): void {
    let frame: ReturnType<typeof decodeServerFrame>;
    try {
      frame = decodeServerFrame(toFrameData(data));
    } catch (error) {
      // A serve that breaks the protocol cannot be trusted with the rest of the conversation.
      this.end(new ServeError((error as Error).message, 'protocol', 'local'));
      this.socket.close(SERVE_CLOSE.badMessage.code, SERVE_CLOSE.badMessage.reason);
      return;
    }
    const message = frame.type === 'packet' ? frame.packet : frame;
    const waiter = this.waiter;
    if (waiter && !(message instanceof Uint8Array)) {
      if (message.type === waiter.type) {
        this.waiter = undefined;
        waiter.resolve(message);
        return;
      }
      if (message.type === 'error') {
        this.waiter = undefined;
        waiter.reject(new ServeError(message.message, message.code, faultOfCode(message.code)));
        return;
      }
    }
    this.onMessage?.(message);
  }

  private end(error: ServeError): void {
    if (this.ended) return;
    this.ended = error;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
    this.onEnd?.(error);
  }
}

/** A device opened through zdfu serve. */
export class ServeTransport extends TransportBase {
  readonly kind: ConnType;
  readonly mtu: number;
  readonly fragmentSize: number | undefined;
  readonly target: string;
  /** Set once the link is gone for good; every later send fails with it. */
  private lost: LinkError | undefined;
  private closing = false;

  constructor(
    private readonly session: ServeSession,
    opened: Reply<'opened'>,
    private readonly sendTimeoutMs: number,
  ) {
    super();
    this.kind = opened.kind;
    this.mtu = opened.mtu;
    this.fragmentSize = opened.fragmentSize;
    this.target = opened.target;
    session.onMessage = (message) => this.receive(message);
    session.onEnd = (error) => {
      if (this.closing) return;
      this.linkLost(
        new LinkError(`the connection to zdfu serve ended: ${error.message}`, true, { cause: error }),
      );
    };
    if (session.ended) session.onEnd(session.ended);
  }

  private receive(message: ServerMessage | Uint8Array): void {
    if (message instanceof Uint8Array) {
      this.packetListeners.emit(message);
      return;
    }
    switch (message.type) {
      case 'console':
        this.textListeners.emit(message.text);
        return;
      case 'link-error':
        if (message.closed) this.linkLost(new LinkError(message.message, true));
        else this.linkErrorListeners.emit(new LinkError(message.message, false));
        return;
      case 'closed':
        this.linkLost(new LinkError(`zdfu serve closed the device link: ${message.reason}`, true));
        return;
      case 'error':
        // A packet the serve could not pass on: the requests waiting for it fail now, not later.
        this.linkErrorListeners.emit(new LinkError(`zdfu serve: ${message.message}`, false));
        return;
      default:
        // hello, targets, opened: answers to questions this link never asks again; ignore.
        return;
    }
  }

  private linkLost(error: LinkError): void {
    if (this.lost) return;
    this.lost = error;
    this.linkErrorListeners.emit(error);
  }

  async send(packet: Uint8Array): Promise<void> {
    if (this.lost) throw this.lost;
    if (this.closing) throw new LinkError(`the device ${this.target} through zdfu serve is closed`, true);
    const socket = this.session.socket;
    if (socket.bufferedAmount > SEND_HIGH_WATER_BYTES) await this.drained();
    if (this.lost) throw this.lost;
    if (socket.readyState !== OPEN) {
      throw new LinkError(`the connection to zdfu serve for ${this.target} is closed`, true);
    }
    socket.send(packet);
  }

  /** Waits until the socket holds at most SEND_HIGH_WATER_BYTES unsent, or fails after the timeout. */
  private drained(): Promise<void> {
    const socket = this.session.socket;
    const deadline = Date.now() + this.sendTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const poll = () => {
        if (this.lost || socket.bufferedAmount <= SEND_HIGH_WATER_BYTES) resolve();
        else if (Date.now() >= deadline) {
          reject(
            new LinkError(
              `the connection to zdfu serve is stuck: ${socket.bufferedAmount} bytes still unsent after ${this.sendTimeoutMs} ms`,
              false,
            ),
          );
        } else setTimeout(poll, DRAIN_POLL_MS);
      };
      poll();
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.clearListeners();
    const socket = this.session.socket;
    if (socket.readyState === 3) return;
    await new Promise<void>((resolve) => {
      // The serve closes the device link when it sees the socket close; do not wait forever for it.
      const timer = setTimeout(resolve, 2000);
      socket.addEventListener('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.close(1000, 'page closed the device');
    });
  }
}

/** A WebSocket message's data as the protocol decoder takes it. */
function toFrameData(data: unknown): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new Error(`a WebSocket message of an unexpected type (${Object.prototype.toString.call(data)})`);
}

/** Why the socket closed, in words: ours come with a close code, others are the network's. */
function closeError(code: number, reason: string, where: string): ServeError {
  const name = serveCloseName(code);
  if (name !== undefined) {
    const words = reason !== '' ? reason : SERVE_CLOSE[name].reason;
    return new ServeError(words, name, name === 'serveStopping' ? 'no-answer' : 'local');
  }
  if (code === 1006) {
    return new ServeError(
      `cannot reach zdfu serve at ${where}: is it running? Start it with \`zdfu serve\` and open the URL it prints`,
      'unreachable',
      'no-answer',
    );
  }
  const why = reason !== '' ? `: ${reason}` : '';
  return new ServeError(
    `the connection to zdfu serve at ${where} closed (code ${code})${why}`,
    'closed',
    'no-answer',
  );
}

function faultOfCode(code: ServeErrorCode): Fault {
  return code === 'open-failed' || code === 'send-failed' ? 'no-answer' : 'local';
}
