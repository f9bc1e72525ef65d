/** What the end-to-end tests share: a DeviceClient on a running sim's UDP port, slot flags in words. */
import { DeviceClient } from '../../src/client/device.ts';
import type { SimHandle } from '../../src/device/io/sim-host.ts';
import { UdpTransport } from '../../src/transport/udp.ts';

export async function udpClient(sim: SimHandle): Promise<DeviceClient> {
  if (!sim.udp) throw new Error('the sim was started without UDP');
  const transport = await UdpTransport.open({ host: sim.udp.host, port: sim.udp.port });
  return new DeviceClient(transport, { timeoutMs: 3000, retries: 1 });
}

export interface SlotRow {
  slot: number;
  version: string;
  flags: string;
}

/** `image list` as rows of "slot, version, flag words" for compact assertions. */
export async function slotRows(client: DeviceClient): Promise<SlotRow[]> {
  const { images } = await client.imageList();
  return images.map((image) => ({
    slot: image.slot,
    version: image.version,
    flags: (['active', 'confirmed', 'pending', 'permanent'] as const).filter((flag) => image[flag]).join(' '),
  }));
}

/**
 * Waits until the booted app's main() has registered its stats. The sim's SMP server answers
 * before that (the app runs in a worker that takes a few ms to start), so an unpaced client that
 * asks for `stat smp_server_stats` at once would find no group yet.
 */
export async function appStarted(sim: SimHandle, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!sim.device.firmware?.stats().has('smp_server_stats')) {
    if (Date.now() > deadline) throw new Error('the app did not register its stats in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
