/**
 * A link that opens again after it was lost: a BLE device drops the connection when it resets and
 * advertises again once it has booted, so the request after the reboot reconnects (scanning for it
 * by name or address) instead of failing for good. The requests in flight when the link went fail
 * at once (a LinkError that is not `closed`, so the client keeps going); the next send reopens,
 * once for all sends waiting. Pure: no Node imports.
 */
import { LinkError } from './link-error.ts';
import type { Transport, TransportKind } from './transport.ts';
import { TransportBase } from './transport-base.ts';

export class ReconnectingTransport extends TransportBase {
  readonly kind: TransportKind;
  readonly mtu: number;
  readonly fragmentSize?: number;
  private inner: Transport | undefined;
  private unsubscribe: (() => void)[] = [];
  private reopening: Promise<Transport> | undefined;
  private closed = false;
  /** How many times the link was opened again. */
  reconnects = 0;

  private constructor(
    first: Transport,
    private readonly open: () => Promise<Transport>,
  ) {
    super();
    this.kind = first.kind;
    this.mtu = first.mtu;
    if (first.fragmentSize !== undefined) this.fragmentSize = first.fragmentSize;
    this.attach(first);
  }

  static async open(open: () => Promise<Transport>): Promise<ReconnectingTransport> {
    return new ReconnectingTransport(await open(), open);
  }

  /** The link in use now (undefined while it is down). */
  get current(): Transport | undefined {
    return this.inner;
  }

  private attach(inner: Transport): void {
    this.inner = inner;
    this.unsubscribe = [
      inner.onPacket((packet) => this.packetListeners.emit(packet)),
      inner.onText((text) => this.textListeners.emit(text)),
      inner.onLinkError((error) => {
        if (error.closed) this.detach();
        this.linkErrorListeners.emit(
          error.closed
            ? new LinkError(`${error.message}; the next request connects again`, false, { cause: error })
            : error,
        );
      }),
    ];
  }

  private detach(): void {
    const inner = this.inner;
    for (const off of this.unsubscribe.splice(0)) off();
    this.inner = undefined;
    void inner?.close().catch(() => undefined);
  }

  private link(): Promise<Transport> {
    if (this.inner) return Promise.resolve(this.inner);
    if (!this.reopening) {
      this.reopening = this.open()
        .then((inner) => {
          if (this.closed) {
            void inner.close();
            throw new Error('the link was closed while it was reconnecting');
          }
          this.reconnects++;
          this.attach(inner);
          return inner;
        })
        .finally(() => {
          this.reopening = undefined;
        });
    }
    return this.reopening;
  }

  async send(packet: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('the link is closed');
    const inner = await this.link();
    await inner.send(packet);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const inner = this.inner;
    for (const off of this.unsubscribe.splice(0)) off();
    this.inner = undefined;
    this.clearListeners();
    await inner?.close();
  }
}
