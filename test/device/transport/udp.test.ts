import { describe, expect, it } from 'vitest';
import { UdpEndpoint } from '../../../src/device/transport/udp.ts';

describe('UdpEndpoint (Zephyr smp_udp drop rules)', () => {
  it('drops a datagram larger than one netbuf, counts it, and answers one that fits', async () => {
    const seen: number[] = [];
    const endpoint = new UdpEndpoint({
      netbufSize: 64,
      handle: async (packet) => {
        seen.push(packet.length);
        return [packet.slice(0, 8)];
      },
    });
    expect(await endpoint.receive(new Uint8Array(65))).toEqual([]);
    expect(await endpoint.receive(new Uint8Array(64))).toEqual([new Uint8Array(8)]);
    expect(seen).toEqual([64]);
    expect(endpoint.stats).toEqual({ packets: 1, droppedOversize: 1 });
  });
});
