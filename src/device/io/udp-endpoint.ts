/**
 * The virtual device's SMP-over-UDP endpoint, as Zephyr's smp_udp: each datagram is one SMP
 * packet (no framing), each response goes back as its own datagram to the sender.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';

/** Zephyr's CONFIG_MCUMGR_TRANSPORT_UDP_MTU: larger datagrams are not read whole. */
export const UDP_RX_MTU = 1500;

export type PacketHandler = (packet: Uint8Array) => Promise<Uint8Array[]>;

export class UdpEndpoint {
  private constructor(
    private readonly socket: Socket,
    readonly host: string,
    readonly port: number,
  ) {}

  static async open(host: string, port: number, handler: PacketHandler): Promise<UdpEndpoint> {
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
    return new UdpEndpoint(socket, host, bound.port);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
