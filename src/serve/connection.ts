/**
 * One page's WebSocket inside zdfu serve: the hello with the token, the target list, and once a
 * device is open, the relay of whole SMP packets both ways plus its console text and link errors
 * (protocol in ./protocol.ts). Every queue is bounded: packets waiting for the device, bytes
 * waiting for the page (ws bufferedAmount). Every wait has a timeout. Closing either side closes
 * the other. Node only.
 */
import type { RawData, WebSocket } from 'ws';
import type { Transport } from '../transport/transport.ts';
import type { FleetHub } from './fleet-feed.ts';
import {
  type ClientMessage,
  decodeClientFrame,
  encodeMessage,
  HELLO_TIMEOUT_MS,
  SERVE_CLOSE,
  SERVE_PROTOCOL_VERSION,
  type ServeCloseName,
  type ServeErrorCode,
  type ServerMessage,
} from './protocol.ts';
import { type TargetCatalog, TargetError } from './targets.ts';
import { tokensEqual } from './token.ts';

export interface ConnectionLimits {
  /** Packets from the page not yet handed to the device; more closes the socket (queue-full). */
  readonly maxPendingToDevice: number;
  /**
   * Bytes the socket may hold unsent to the page. Console text beyond it is dropped (and the
   * drop said once it drains); a packet beyond it closes the socket: the page is not reading.
   */
  readonly maxBufferedToPage: number;
  /** How long opening a device may take. */
  readonly openTimeoutMs: number;
  /** How long closing a device link may take before it is let go. */
  readonly closeTimeoutMs: number;
  /** How long the page has for its hello. */
  readonly helloTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  // The upload engine keeps at most 16 requests in flight (BLE); 64 leaves room for anything sane.
  maxPendingToDevice: 64,
  maxBufferedToPage: 4 * 1024 * 1024,
  openTimeoutMs: 25_000,
  closeTimeoutMs: 3000,
  helloTimeoutMs: HELLO_TIMEOUT_MS,
};

export interface ConnectionContext {
  readonly token: string;
  readonly catalog: TargetCatalog;
  readonly serverName: string;
  readonly limits: ConnectionLimits;
  /** Targets open in any connection: one page at a time per device. */
  readonly busy: Set<string>;
  /** Something worth a line on the serve's console (opened, closed, refused). */
  readonly log: (line: string) => void;
  /** The gateway's fleet feed, when one is attached (ServeHandle.serveFleet). */
  readonly fleet?: () => FleetHub | undefined;
}

/** `fleet`: the socket carries the fleet's status (./fleet-feed.ts) and nothing else. */
type State = 'hello' | 'ready' | 'opening' | 'open' | 'fleet' | 'closed';

export class ServeConnection {
  private state: State = 'hello';
  private helloTimer: ReturnType<typeof setTimeout> | undefined;
  private device: { id: string; transport: Transport; unsubscribe: (() => void)[] } | undefined;
  /** Packets handed to the device whose send has not finished yet. */
  private pendingToDevice = 0;
  /** Sends to the device, one after the other, so packets keep their order. */
  private deviceChain: Promise<void> = Promise.resolve();
  private droppedConsoleChars = 0;
  private unwatchFleet: (() => void) | undefined;
  /** Resolves once the device link (if any) is closed after the socket closed. */
  readonly finished: Promise<void>;
  private finish!: () => void;

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: ConnectionContext,
  ) {
    this.finished = new Promise((resolve) => {
      this.finish = resolve;
    });
    this.helloTimer = setTimeout(() => this.closeSocket('helloTimeout'), ctx.limits.helloTimeoutMs);
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('close', () => void this.socketClosed());
    // A socket error is followed by 'close'; without a listener it would throw.
    ws.on('error', () => undefined);
  }

  /** Read through a method: the socket may close while an open is awaited. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (this.state === 'closed') return;
    const bytes = toBytes(data);
    let frame: ReturnType<typeof decodeClientFrame>;
    try {
      frame = decodeClientFrame(isBinary ? bytes : Buffer.from(bytes).toString('utf8'));
    } catch (error) {
      if (this.state === 'hello') {
        this.closeSocket('wrongToken');
        return;
      }
      this.sendMessage({ type: 'error', code: 'bad-message', message: (error as Error).message });
      this.closeSocket('badMessage');
      return;
    }
    if (this.state === 'hello') {
      // Nothing but a hello with the right token gets any answer.
      if (frame.type !== 'hello' || !tokensEqual(frame.token, this.ctx.token)) {
        this.ctx.log('refused a connection: wrong or missing token');
        this.closeSocket('wrongToken');
        return;
      }
      clearTimeout(this.helloTimer);
      if (frame.protocol !== SERVE_PROTOCOL_VERSION) {
        this.sendMessage({
          type: 'error',
          code: 'protocol-version',
          message: `this page speaks zdfu serve protocol ${frame.protocol}, ${this.ctx.serverName} speaks ${SERVE_PROTOCOL_VERSION}: use a page and a zdfu of the same version`,
        });
        this.closeSocket('protocolVersion');
        return;
      }
      this.state = 'ready';
      this.sendMessage({
        type: 'hello',
        protocol: SERVE_PROTOCOL_VERSION,
        server: this.ctx.serverName,
        ...(this.ctx.fleet?.() ? { fleet: true } : {}),
      });
      return;
    }
    if (frame.type === 'packet') {
      this.toDevice(frame.packet);
      return;
    }
    this.control(frame);
  }

  private control(message: ClientMessage): void {
    switch (message.type) {
      case 'hello':
        this.refuse('bad-message', 'hello was already said on this connection');
        return;
      case 'list':
        void this.list();
        return;
      case 'open':
        if (this.state !== 'ready') {
          this.refuse(
            'already-open',
            this.state === 'fleet'
              ? 'this connection watches the fleet; open a device on another connection'
              : `this connection already has a device (${this.device?.id ?? 'opening'}); open another connection for another device`,
          );
          return;
        }
        void this.open(message.target);
        return;
      case 'fleet':
        this.watchFleet();
        return;
    }
  }

  private watchFleet(): void {
    if (this.state !== 'ready') {
      this.refuse(
        this.state === 'fleet' ? 'bad-message' : 'already-open',
        this.state === 'fleet'
          ? 'this connection already watches the fleet'
          : 'this connection has a device open; watch the fleet on another connection',
      );
      return;
    }
    const hub = this.ctx.fleet?.();
    if (hub === undefined) {
      this.refuse(
        'no-fleet',
        `${this.ctx.serverName} runs no gateway, so it has no fleet to show: start \`zdfu gateway --dashboard\` instead`,
      );
      return;
    }
    this.state = 'fleet';
    this.unwatchFleet = hub.subscribe({
      send: (text) => {
        if (this.ws.readyState === this.ws.OPEN) this.ws.send(text);
      },
      buffered: () => this.ws.bufferedAmount,
      ended: () => this.closeSocket('fleetEnded'),
    });
  }

  private async list(): Promise<void> {
    try {
      const targets = await this.ctx.catalog.list();
      this.sendMessage({ type: 'targets', targets });
    } catch (error) {
      this.refuse('list-failed', `cannot list devices: ${(error as Error).message}`);
    }
  }

  private async open(id: string): Promise<void> {
    if (this.ctx.busy.has(id)) {
      this.refuse('busy', `${id} is open in another page or tab; close it there first`);
      return;
    }
    this.state = 'opening';
    this.ctx.busy.add(id);
    let opened: Awaited<ReturnType<TargetCatalog['open']>>;
    try {
      opened = await withTimeout(
        this.ctx.catalog.open(id),
        this.ctx.limits.openTimeoutMs,
        () =>
          new TargetError(
            `opening ${id} took longer than ${this.ctx.limits.openTimeoutMs} ms`,
            'open-failed',
          ),
        // An open that finishes after its timeout must not leave the link open.
        (late) => void late.transport.close().catch(() => undefined),
      );
    } catch (error) {
      this.ctx.busy.delete(id);
      if (this.isClosed()) return;
      this.state = 'ready';
      const code = error instanceof TargetError ? error.code : 'open-failed';
      this.refuse(code, (error as Error).message);
      return;
    }
    const { transport, target } = opened;
    if (this.isClosed()) {
      // The page went away while the device was opening.
      await this.closeDevice({ id, transport, unsubscribe: [] });
      return;
    }
    this.device = {
      id,
      transport,
      unsubscribe: [
        transport.onPacket((packet) => this.toPage(packet)),
        transport.onText((text) => this.consoleToPage(text)),
        transport.onLinkError((error) => {
          this.sendMessage({ type: 'link-error', message: error.message, closed: error.closed });
          if (error.closed) void this.deviceGone(error.message);
        }),
      ],
    };
    this.state = 'open';
    this.ctx.log(`opened ${target.label} for a page`);
    this.sendMessage({
      type: 'opened',
      target: id,
      kind: target.kind,
      mtu: transport.mtu,
      ...(transport.fragmentSize === undefined ? {} : { fragmentSize: transport.fragmentSize }),
    });
  }

  /** Passes one packet to the device in order, within the bound on packets waiting. */
  private toDevice(packet: Uint8Array): void {
    const device = this.device;
    if (this.state !== 'open' || device === undefined) {
      this.refuse('not-open', 'a packet came before any device was opened on this connection');
      return;
    }
    if (this.pendingToDevice >= this.ctx.limits.maxPendingToDevice) {
      this.refuse(
        'queue-full',
        `more than ${this.ctx.limits.maxPendingToDevice} packets are waiting for ${device.id}; the page sends faster than the device takes them`,
      );
      this.closeSocket('overloaded');
      return;
    }
    this.pendingToDevice++;
    this.deviceChain = this.deviceChain.then(async () => {
      try {
        if (this.state === 'open') await device.transport.send(packet);
      } catch (error) {
        // A link error has told the page already when the link itself failed; say it anyway for
        // this packet, so the request waiting for its answer fails now.
        if (this.state === 'open') {
          this.refuse('send-failed', `sending to ${device.id} failed: ${(error as Error).message}`);
        }
      } finally {
        this.pendingToDevice--;
      }
    });
  }

  private toPage(packet: Uint8Array): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.ctx.limits.maxBufferedToPage) {
      this.ctx.log(`closed a page that did not read: ${this.ws.bufferedAmount} bytes unsent`);
      this.closeSocket('overloaded');
      return;
    }
    this.ws.send(packet, { binary: true });
  }

  private consoleToPage(text: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.ctx.limits.maxBufferedToPage) {
      this.droppedConsoleChars += text.length;
      return;
    }
    if (this.droppedConsoleChars > 0) {
      const dropped = this.droppedConsoleChars;
      this.droppedConsoleChars = 0;
      this.sendMessage({
        type: 'console',
        text: `\n[zdfu serve: ${dropped} characters of console output dropped: the page did not keep up]\n`,
      });
    }
    this.sendMessage({ type: 'console', text });
  }

  /** The device link closed under us: tell the page, release the device, close the socket. */
  private async deviceGone(reason: string): Promise<void> {
    const device = this.device;
    if (device === undefined || this.state === 'closed') return;
    this.device = undefined;
    this.state = 'closed';
    this.sendMessage({ type: 'closed', reason });
    this.ctx.log(`${device.id} went away: ${reason}`);
    await this.closeDevice(device);
    this.closeSocket('deviceClosed');
  }

  private async socketClosed(): Promise<void> {
    clearTimeout(this.helloTimer);
    this.state = 'closed';
    this.unwatchFleet?.();
    this.unwatchFleet = undefined;
    const device = this.device;
    this.device = undefined;
    if (device) {
      await this.closeDevice(device);
      this.ctx.log(`closed ${device.id}: the page disconnected`);
    }
    this.finish();
  }

  private async closeDevice(device: NonNullable<ServeConnection['device']>): Promise<void> {
    for (const unsubscribe of device.unsubscribe) unsubscribe();
    try {
      await withTimeout(
        device.transport.close(),
        this.ctx.limits.closeTimeoutMs,
        () => new Error('close timed out'),
      );
    } catch {
      // Let go of a link that does not close in time; nothing else can be done with it.
    }
    this.ctx.busy.delete(device.id);
  }

  /** Closes from the serve's side (stopping), waiting for the device link to close. */
  async shutdown(): Promise<void> {
    this.closeSocket('serveStopping');
    await withTimeout(this.finished, this.ctx.limits.closeTimeoutMs + 1000, () => new Error('timeout')).catch(
      () => this.ws.terminate(),
    );
  }

  private refuse(code: ServeErrorCode, message: string): void {
    this.sendMessage({ type: 'error', code, message });
  }

  private sendMessage(message: ServerMessage): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(encodeMessage(message));
  }

  closeSocket(name: ServeCloseName): void {
    clearTimeout(this.helloTimer);
    const { code, reason } = SERVE_CLOSE[name];
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.close(code, reason);
    }
    // A peer that never answers the close handshake is cut after the close timeout.
    setTimeout(() => {
      if (this.ws.readyState !== this.ws.CLOSED) this.ws.terminate();
    }, this.ctx.limits.closeTimeoutMs).unref();
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * `work`, or `timeoutError()` once `ms` have passed; a result that arrives after the timeout is
 * given to `late` so it can be released.
 */
function withTimeout<T>(
  work: Promise<T>,
  ms: number,
  timeoutError: () => Error,
  late?: (value: T) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(timeoutError());
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        if (timedOut) late?.(value);
        else resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (!timedOut) reject(error);
      },
    );
  });
}
