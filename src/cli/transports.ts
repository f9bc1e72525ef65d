/** Opens the Node link for a connection target: a serial port or a UDP socket. */
import type { ConnTarget } from '../client/connstring.ts';
import { DeviceClient, type DeviceClientOptions } from '../client/device.ts';
import { SerialTransport } from '../transport/serial.ts';
import type { Transport } from '../transport/transport.ts';
import { UdpTransport } from '../transport/udp.ts';
import { CliError } from './errors.ts';

export async function openNodeTransport(target: ConnTarget): Promise<Transport> {
  try {
    if (target.type === 'serial') {
      return await SerialTransport.open({ path: target.path, baudRate: target.baudRate, mtu: target.mtu });
    }
    return await UdpTransport.open({ host: target.host, port: target.port });
  } catch (err) {
    const where =
      target.type === 'serial' ? `serial port ${target.path}` : `UDP ${target.host}:${target.port}`;
    const why = err instanceof Error ? err.message : String(err);
    // Transports usually name the port already; do not say it twice.
    const named = target.type === 'serial' ? why.includes(target.path) : why.includes(target.host);
    throw new CliError(named ? capitalize(why) : `Cannot open ${where}: ${why}`);
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A DeviceClient over the Node link for `target` (serial port or UDP). */
export function connectDevice(target: ConnTarget, options: DeviceClientOptions = {}): Promise<DeviceClient> {
  return DeviceClient.connect(target, openNodeTransport, options);
}
