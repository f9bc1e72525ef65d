/**
 * Test scaffolding: an in-memory link to an SMP server (the virtual device's, or a test's own
 * responder) that loses, delays and so reorders packets in either direction, as a UDP network
 * over Wi-Fi or Thread can. Each direction numbers its packets from 1 and asks `fate` what
 * happens to each one.
 */
import { DeviceClient } from '../../../src/client/device.ts';
import { createMemoryLink, type MemoryTransport } from '../../../src/transport/memory.ts';

/** What happens to one packet: it arrives, it is lost, or it arrives `delayMs` later. */
export type Fate = 'deliver' | 'drop' | { readonly delayMs: number };

export interface LinkFaults {
  /** Fate of the nth request (client to device). */
  request?: (n: number, packet: Uint8Array) => Fate;
  /** Fate of the nth reply (device to client). */
  reply?: (n: number) => Fate;
}

export interface LossyLink {
  readonly client: DeviceClient;
  readonly transport: MemoryTransport;
  readonly counts: { requests: number; replies: number; dropped: number; delayed: number };
  close(): Promise<void>;
}

/** Serves each request packet (one datagram) and sends back what the server answers. */
export type Serve = (packet: Uint8Array) => Promise<Uint8Array[]>;

export function lossyLink(
  serve: Serve,
  faults: LinkFaults = {},
  options: { mtu?: number; timeoutMs?: number } = {},
): LossyLink {
  const [clientEnd, deviceEnd] = createMemoryLink({ mtu: options.mtu ?? 1024 });
  const counts = { requests: 0, replies: 0, dropped: 0, delayed: 0 };
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const apply = (fate: Fate, deliver: () => void): void => {
    if (fate === 'drop') {
      counts.dropped++;
      return;
    }
    if (fate === 'deliver') {
      deliver();
      return;
    }
    counts.delayed++;
    const timer = setTimeout(() => {
      timers.delete(timer);
      deliver();
    }, fate.delayMs);
    timers.add(timer);
  };
  deviceEnd.onPacket((packet) => {
    const n = ++counts.requests;
    apply(faults.request?.(n, packet) ?? 'deliver', () => {
      void serve(packet).then((responses) => {
        for (const response of responses) {
          const m = ++counts.replies;
          apply(faults.reply?.(m) ?? 'deliver', () => {
            if (!deviceEnd.isClosed) void deviceEnd.send(response);
          });
        }
      });
    });
  });
  // Requests outside a transfer (params, image list) are resent after a loss, as DeviceClient's
  // users have it; the transfer engine sends its chunks without resends of the client's own.
  const client = new DeviceClient(clientEnd, { timeoutMs: options.timeoutMs ?? 300, retries: 5 });
  return {
    client,
    transport: clientEnd,
    counts,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      await client.close();
      await deviceEnd.close();
    },
  };
}
