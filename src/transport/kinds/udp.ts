/**
 * The udp kind: SMP over UDP, one datagram per packet (Zephyr smp_udp.c). Target: `host:port`,
 * `[v6]:port`, or a host alone (port 1337). Pure: no Node imports (the Node opener is in ../udp.ts).
 */
import { formatHostPort, HostPortError, parseHostPort } from '../host-port.ts';
import { bufferBoundWindow, ConnStringError, type KindDescriptor } from './kind.ts';

export interface UdpTarget {
  readonly type: 'udp';
  readonly host: string;
  readonly port: number;
}

declare module './kind.ts' {
  interface KindTargets {
    udp: UdpTarget;
  }
}

/** Zephyr's CONFIG_MCUMGR_TRANSPORT_UDP_PORT default. */
export const DEFAULT_UDP_PORT = 1337;

export const udpKind: KindDescriptor<'udp'> = {
  type: 'udp',
  syntax: 'HOST[:PORT] or [IPV6]:PORT',
  parse(connstring) {
    try {
      const { host, port } = parseHostPort(connstring, {
        defaultPort: DEFAULT_UDP_PORT,
        label: 'Connstring',
      });
      return { type: 'udp', host, port };
    } catch (error) {
      if (error instanceof HostPortError) throw new ConnStringError(error.message, connstring);
      throw error;
    }
  },
  format: (target) => formatHostPort(target),
  describe: (target) => ({ where: `UDP ${formatHostPort(target)}`, id: target.host }),
  // smp_udp.c copies each datagram whole into one netbuf: no framing shares it.
  deviceRequestLimit: (bufSize) => bufSize,
  unreportedRequestLimit: undefined,
  pipelineWindow: (bufCount) => bufferBoundWindow(bufCount),
};
