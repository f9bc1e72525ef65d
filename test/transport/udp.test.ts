import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { SmpClient } from '../../src/client/client.ts';
import { echo } from '../../src/groups/os/models.ts';
import { type CborMap, decodePacket, encodePacket } from '../../src/smp/codec.ts';
import { responseOpFor } from '../../src/smp/header.ts';
import { parseHostPort } from '../../src/transport/host-port.ts';
import { UdpTransport } from '../../src/transport/udp.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});

/** A one-socket echo device: answers each datagram with one datagram to the sender. */
async function startEchoDevice(type: 'udp4' | 'udp6', address: string): Promise<number> {
  const socket = dgram.createSocket(type);
  socket.on('message', (message, peer) => {
    const { header, body } = decodePacket(new Uint8Array(message));
    const reply = encodePacket(
      { ...header, op: responseOpFor(header.op) },
      { r: (body as CborMap).d as string },
    );
    socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket.address().port;
}

describe('UdpTransport', () => {
  it('parses host:port forms including bracketed IPv6', () => {
    expect(parseHostPort('[::1]:1337', { defaultPort: 1337 })).toEqual({ host: '::1', port: 1337 });
    expect(parseHostPort('[fe80::1]', { defaultPort: 1337 })).toEqual({ host: 'fe80::1', port: 1337 });
    expect(parseHostPort('::1', { defaultPort: 1337 })).toEqual({ host: '::1', port: 1337 });
    expect(parseHostPort('192.168.1.1:5683', { defaultPort: 1337 })).toEqual({
      host: '192.168.1.1',
      port: 5683,
    });
    expect(parseHostPort('device.local', { defaultPort: 1337 })).toEqual({
      host: 'device.local',
      port: 1337,
    });
  });

  it('talks to an IPv4 loopback device', async () => {
    const port = await startEchoDevice('udp4', '127.0.0.1');
    const transport = await UdpTransport.open({ host: '127.0.0.1', port });
    const client = new SmpClient(transport, { timeoutMs: 1000, retries: 0 });
    cleanups.push(() => client.close());
    expect(transport.mtu).toBe(1024);
    const big = 'x'.repeat(900);
    await expect(client.request(echo, { d: big })).resolves.toEqual({ r: big });
  });

  it('talks to an IPv6 loopback device given as [::1]:port', async () => {
    let port: number;
    try {
      port = await startEchoDevice('udp6', '::1');
    } catch {
      return; // No IPv6 loopback on this host.
    }
    const transport = await UdpTransport.open({ host: `[::1]:${port}` });
    const client = new SmpClient(transport, { timeoutMs: 1000, retries: 0 });
    cleanups.push(() => client.close());
    expect(transport.port).toBe(port);
    await expect(client.request(echo, { d: 'v6' })).resolves.toEqual({ r: 'v6' });
  });
});
