/**
 * A group's handlers on a bare SmpServer (no board booted), reached by DeviceClients over an
 * in-memory link with SMP v1 or v2 headers: for answers that depend on the board data alone.
 */
import { DeviceClient } from '../../src/client/device.ts';
import { SmpServer } from '../../src/device/server/smp-server.ts';
import { createMemoryLink } from '../../src/transport/memory.ts';

export interface ServerLink {
  readonly server: SmpServer;
  client(version: 1 | 2): DeviceClient;
  close(): Promise<void>;
}

export function serverLink(netbufSize = 384): ServerLink {
  const server = new SmpServer({ netbufSize });
  const closers: Array<() => Promise<void>> = [];
  return {
    server,
    client(version) {
      const [clientEnd, deviceEnd] = createMemoryLink({ mtu: 1024 });
      deviceEnd.onPacket((packet) => {
        void server.handlePacket(packet).then(async (responses) => {
          for (const response of responses) await deviceEnd.send(response);
        });
      });
      const client = new DeviceClient(clientEnd, { version, timeoutMs: 2000, retries: 0 });
      closers.push(async () => {
        await client.close();
        await deviceEnd.close();
      });
      return client;
    },
    async close() {
      for (const close of closers.splice(0)) await close();
    },
  };
}

/** The error a call rejects with (fails the test when it resolves). */
export async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}
