/**
 * Two linked in-process transports: what one sends, the other receives (asynchronously, as a copy).
 * For unit tests of client and server without sockets or PTYs. Pure module.
 */

import type { LinkError } from './link-error.ts';
import type { TransportKind } from './transport.ts';
import { TransportBase } from './transport-base.ts';

export interface MemoryLinkOptions {
  /** MTU both ends report (default 1024). */
  readonly mtu?: number;
}

/** One end of a memory link. `emitText` lets tests play console text arriving at this end. */
export class MemoryTransport extends TransportBase {
  readonly kind: TransportKind = 'memory';
  peer: MemoryTransport | undefined;
  private closed = false;
  /** Packets this end has sent, for assertions. */
  readonly sent: Uint8Array[] = [];

  constructor(readonly mtu: number) {
    super();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async send(packet: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('memory transport is closed');
    const copy = packet.slice();
    this.sent.push(copy);
    const peer = this.peer;
    queueMicrotask(() => peer?.deliver(copy));
  }

  /** Delivers a packet to this end's listeners as if the peer had sent it. */
  deliver(packet: Uint8Array): void {
    if (this.closed) return;
    this.packetListeners.emit(packet);
  }

  emitText(text: string): void {
    if (this.closed) return;
    this.textListeners.emit(text);
  }

  /** Plays a failure of the link (a hang-up, a port unreachable) at this end. */
  failLink(error: LinkError): void {
    if (this.closed) return;
    this.linkErrorListeners.emit(error);
    if (error.closed) this.closed = true;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clearListeners();
  }
}

export function createMemoryLink(options: MemoryLinkOptions = {}): [MemoryTransport, MemoryTransport] {
  const mtu = options.mtu ?? 1024;
  const a = new MemoryTransport(mtu);
  const b = new MemoryTransport(mtu);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
