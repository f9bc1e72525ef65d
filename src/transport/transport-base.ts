/**
 * What every Transport shares: its three subscriptions (whole SMP packets, console text, link
 * failures), so each kind writes only how it sends, receives and closes. Pure module.
 */
import { Listeners } from '../util/listeners.ts';
import type { LinkError } from './link-error.ts';
import type { Transport, TransportKind } from './transport.ts';

export abstract class TransportBase implements Transport {
  abstract readonly kind: TransportKind;
  abstract readonly mtu: number;
  protected readonly packetListeners = new Listeners<Uint8Array>();
  /** Only links that carry a console (serial) ever emit text. */
  protected readonly textListeners = new Listeners<string>();
  protected readonly linkErrorListeners = new Listeners<LinkError>();

  abstract send(packet: Uint8Array): Promise<void>;
  abstract close(): Promise<void>;

  onPacket(listener: (packet: Uint8Array) => void): () => void {
    return this.packetListeners.add(listener);
  }

  onText(listener: (text: string) => void): () => void {
    return this.textListeners.add(listener);
  }

  onLinkError(listener: (error: LinkError) => void): () => void {
    return this.linkErrorListeners.add(listener);
  }

  /** Drops every subscriber: a closed link delivers nothing more. */
  protected clearListeners(): void {
    this.packetListeners.clear();
    this.textListeners.clear();
    this.linkErrorListeners.clear();
  }
}
