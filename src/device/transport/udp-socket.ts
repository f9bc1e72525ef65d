/**
 * The real UDP socket under the device's SMP-over-UDP endpoint (./udp.ts): binds the address the
 * sim was given, drops datagrams longer than smp_udp's receive buffer, passes the rest on and
 * sends each response back to the sender as its own datagram. Node only.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { SmpHandler } from './endpoint.ts';
import { UDP_RX_MTU } from './udp.ts';

export class UdpSocket {
  private constructor(
    private readonly socket: Socket,
    readonly host: string,
    readonly port: number,
  ) {}

  static async open(host: string, port: number, handler: SmpHandler): Promise<UdpSocket> {
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
    socket.on('message', (message, remote) => {
      if (message.length > UDP_RX_MTU) return;
      const packet = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
      handler(packet).then(
        (responses) => {
          for (const response of responses) socket.send(response, remote.port, remote.address);
        },
        () => undefined,
      );
    });
    const bound = socket.address();
    return new UdpSocket(socket, host, bound.port);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
