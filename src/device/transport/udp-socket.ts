/**
 * The real UDP socket under the device's SMP-over-UDP endpoint (./udp.ts): binds the address the
 * sim was given, drops datagrams longer than smp_udp's receive buffer, passes the rest on and
 * sends each response back to the sender as its own datagram. With a link profile, both ways
 * pass through a shaped network first (./link-shaper.ts: latency, jitter, loss, reordering).
 * Node only.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { SmpHandler } from './endpoint.ts';
import { type LinkProfile, LinkShaper, type Schedule } from './link-shaper.ts';
import { UDP_RX_MTU } from './udp.ts';

const nodeSchedule: Schedule = (run, delayMs) => {
  const timer = setTimeout(run, delayMs);
  return { cancel: () => clearTimeout(timer) };
};

export class UdpSocket {
  private constructor(
    private readonly socket: Socket,
    readonly host: string,
    readonly port: number,
    /** Host → board and board → host, when the link is shaped. */
    readonly shapers: { readonly inbound: LinkShaper; readonly outbound: LinkShaper } | undefined,
  ) {}

  static async open(host: string, port: number, handler: SmpHandler, link?: LinkProfile): Promise<UdpSocket> {
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        const why =
          error.code === 'EADDRINUSE'
            ? 'the port is already in use (another `zdfu sim` or SMP server is probably running there); ' +
              'stop it, or give this one another port with --udp HOST:PORT'
            : error.code === 'EADDRNOTAVAIL'
              ? `${host} is not an address of this machine (EADDRNOTAVAIL); use 127.0.0.1 or an address of a local interface`
              : (error.code ?? error.message);
        reject(new Error(`cannot listen for SMP on UDP ${host}:${port}: ${why}`));
      };
      socket.once('error', onError);
      socket.bind(port, host, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    socket.on('error', () => undefined);
    const shapers =
      link === undefined
        ? undefined
        : {
            inbound: new LinkShaper(link, nodeSchedule),
            outbound: new LinkShaper({ ...link, seed: link.seed + 1 }, nodeSchedule),
          };
    const serve = (packet: Uint8Array, remote: { port: number; address: string }) => {
      handler(packet).then(
        (responses) => {
          for (const response of responses) {
            const send = () => socket.send(response, remote.port, remote.address);
            if (shapers) shapers.outbound.send(response, send);
            else send();
          }
        },
        () => undefined,
      );
    };
    socket.on('message', (message, remote) => {
      if (message.length > UDP_RX_MTU) return;
      const packet = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
      const from = { port: remote.port, address: remote.address };
      if (shapers) shapers.inbound.send(packet, (datagram) => serve(datagram, from));
      else serve(packet, from);
    });
    const bound = socket.address();
    return new UdpSocket(socket, host, bound.port, shapers);
  }

  close(): Promise<void> {
    this.shapers?.inbound.close();
    this.shapers?.outbound.close();
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
