/**
 * The device's SMP endpoint on UDP, as Zephyr's smp_udp.c: each datagram is one SMP request (no
 * framing, no CRC) and each response goes back as its own datagram to the sender. Its drop
 * rules: a datagram longer than smp_udp's receive buffer (CONFIG_MCUMGR_TRANSPORT_UDP_MTU, 1500)
 * gets no answer (applied where datagrams are read, ./udp-socket.ts): zsock_recvfrom would cut it
 * to 1500 bytes, but on a real v3.5.0 board anything that large arrives only as IP fragments,
 * which Zephyr drops without CONFIG_NET_IPV4_FRAGMENT / _IPV6_FRAGMENT (default n), so the
 * server never sees it. One that does not fit the netbuf it is copied into
 * (CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE; net_buf_add_mem past the tailroom is an assertion in
 * Zephyr, a build the Kconfig defaults never make) gets no answer either.
 * Pure: no Node imports.
 */
import type { SmpHandler } from './endpoint.ts';

/** Zephyr's CONFIG_MCUMGR_TRANSPORT_UDP_MTU default: smp_udp's receive buffer. */
export const UDP_RX_MTU = 1500;

export interface UdpEndpointOptions {
  /** CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE: the whole datagram is copied into one netbuf. */
  readonly netbufSize: number;
  readonly handle: SmpHandler;
}

export interface UdpEndpointStats {
  packets: number;
  droppedOversize: number;
}

export class UdpEndpoint {
  readonly stats: UdpEndpointStats = { packets: 0, droppedOversize: 0 };

  constructor(private readonly options: UdpEndpointOptions) {}

  /** One datagram's payload; resolves to the response datagrams (none: no answer). */
  receive(datagram: Uint8Array): Promise<Uint8Array[]> {
    if (datagram.length > this.options.netbufSize) {
      this.stats.droppedOversize++;
      return Promise.resolve([]);
    }
    this.stats.packets++;
    return this.options.handle(datagram);
  }
}
