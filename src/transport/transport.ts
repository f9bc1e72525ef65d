/**
 * The one small interface every link implements (serial, UDP, BLE, Web Serial, Web Bluetooth).
 * A transport moves whole SMP packets (8-byte header + CBOR body); framing, reassembly and
 * socket details stay inside it. Pure type module: no Node imports.
 */
import type { ConnType } from './kinds/kind.ts';
import type { LinkError } from './link-error.ts';

/** A registered kind (./kinds/registry.ts), or an in-memory link in tests and the browser sim. */
export type TransportKind = ConnType | 'memory';

export interface Transport {
  readonly kind: TransportKind;
  /** Largest SMP packet (header + CBOR) one request may be on this link (see ./kinds/kind.ts). */
  readonly mtu: number;
  /**
   * Set on links that carry a long request as several writes the device must join again (BLE:
   * ATT_MTU − 3, joined by Zephyr's smp_reassembly when it is built in). A device that does not
   * report its buffer may lack reassembly, so requests to it stay within this size.
   */
  readonly fragmentSize?: number;
  /** Sends one whole SMP packet. Resolves once it is handed to the link. */
  send(packet: Uint8Array): Promise<void>;
  /** Subscribes to whole SMP packets from the peer; returns the unsubscribe function. */
  onPacket(listener: (packet: Uint8Array) => void): () => void;
  /** Console text seen between SMP frames (serial links); other links never call it. */
  onText(listener: (text: string) => void): () => void;
  /**
   * Subscribes to failures of the link itself (serial hang-up, BLE disconnect, ICMP port
   * unreachable on UDP), so requests in flight fail at once instead of timing out. After an error
   * with `closed` set, every send fails too.
   */
  onLinkError(listener: (error: LinkError) => void): () => void;
  close(): Promise<void>;
}
