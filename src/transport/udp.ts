/**
 * SMP over UDP (Zephyr smp_udp): each datagram is one SMP packet, no framing, no CRC. The device
 * answers each request with its own datagram from the port it was sent to.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { formatHostPort, parseHostPort } from './host-port.ts';
import { DEFAULT_UDP_PORT, type UdpTarget } from './kinds/udp.ts';
import { LinkError } from './link-error.ts';
import type { TransportKind } from './transport.ts';
import { TransportBase } from './transport-base.ts';

export interface UdpTransportOptions {
  /** Host name, IPv4 or IPv6 address, or "host:port" / "[v6]:port" (see ./host-port.ts). */
  readonly host: string;
  /** Default 1337 (CONFIG_MCUMGR_TRANSPORT_UDP_PORT). */
  readonly port?: number;
  /**
   * Largest SMP packet per request. Default 1024: below the IPv6 minimum link MTU (1280 − 48 bytes
   * of IPv6/UDP headers = 1232), so a request never needs IP fragmentation on any path, and well
   * inside Zephyr's UDP receive buffer (UDP_MTU 1500) and its SMP netbuf (2048 with UDP).
   */
  readonly mtu?: number;
}

/** Opens a parsed UDP target. */
export function openUdpTarget(target: UdpTarget): Promise<UdpTransport> {
  return UdpTransport.open({ host: target.host, port: target.port });
}

export class UdpTransport extends TransportBase {
  readonly kind: TransportKind = 'udp';
  private closed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    readonly host: string,
    readonly port: number,
    readonly mtu: number,
  ) {
    super();
    socket.on('message', (message) => {
      const packet = new Uint8Array(message.buffer, message.byteOffset, message.length).slice();
      this.packetListeners.emit(packet);
    });
    // On a connected socket the kernel reports an ICMP "port unreachable" for our datagrams as
    // ECONNREFUSED on the next receive: nothing listens there, so no answer will ever come. The
    // socket stays usable (the device may start listening later); only the waiting requests fail.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (this.closed) return;
      const why =
        error.code === 'ECONNREFUSED'
          ? `nothing listens on UDP ${this.where()} (ICMP port unreachable): the device is off, its SMP server is not running, or the address or port is wrong`
          : `UDP link to ${this.where()} failed: ${error.message}`;
      this.linkErrorListeners.emit(new LinkError(why, false, { cause: error }));
    });
  }

  private where(): string {
    return formatHostPort(this);
  }

  static async open(options: UdpTransportOptions): Promise<UdpTransport> {
    const { host: rawHost, port: parsedPort } = parseHostPort(options.host, {
      defaultPort: options.port ?? DEFAULT_UDP_PORT,
      label: 'UDP address',
    });
    const port = options.port ?? parsedPort;
    if (!Number.isInteger(port) || port <= 0 || port > 65535)
      throw new RangeError(`invalid UDP port ${port}`);
    let address = rawHost;
    let family = isIP(rawHost);
    if (family === 0) {
      try {
        const resolved = await lookup(rawHost);
        address = resolved.address;
        family = resolved.family;
      } catch (error) {
        throw new Error(`cannot resolve UDP host ${rawHost}: ${(error as Error).message}`, { cause: error });
      }
    }
    const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) =>
        reject(
          new Error(`cannot reach ${address} port ${port} over UDP: ${error.message}`, { cause: error }),
        );
      socket.once('error', onError);
      // Connecting filters out datagrams from any other peer.
      socket.connect(port, address, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    return new UdpTransport(socket, address, port, options.mtu ?? 1024);
  }

  async send(packet: Uint8Array): Promise<void> {
    if (this.closed) throw new Error(`UDP transport to ${this.host} port ${this.port} is closed`);
    await new Promise<void>((resolve, reject) => {
      this.socket.send(packet, (error) => {
        if (error)
          reject(
            new Error(`UDP send to ${this.host} port ${this.port} failed: ${error.message}`, {
              cause: error,
            }),
          );
        else resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearListeners();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
