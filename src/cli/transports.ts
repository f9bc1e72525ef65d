/** Opens the Node link for a connection target: a serial port or a UDP socket. */
import type { BleTarget, ConnTarget } from '../client/connstring.ts';
import { SERIAL_MAX_PACKET } from '../transport/serial-framing.ts';
import type { Transport } from '../transport/transport.ts';
import { faultOf } from '../util/fault.ts';
import { CliError } from './errors.ts';

export async function openNodeTransport(target: ConnTarget): Promise<Transport> {
  if (target.type === 'ble') return openBle(target);
  try {
    // Each link's Node module is loaded only when that link is opened (serialport is slow to load).
    if (target.type === 'serial') {
      const { SerialTransport } = await import('../transport/serial.ts');
      // Without a user mtu the framing's own limit applies; the upload sizes its requests from the
      // device's buffer size (or falls back to Zephyr's UART MTU when the device does not say).
      const mtu = target.mtu ?? SERIAL_MAX_PACKET;
      return await SerialTransport.open({ path: target.path, baudRate: target.baudRate, mtu });
    }
    const { UdpTransport } = await import('../transport/udp.ts');
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

async function openBle(target: BleTarget): Promise<Transport> {
  const { BleTransport } = await import('../transport/ble.ts');
  const { ReconnectingTransport } = await import('../transport/reconnecting.ts');
  try {
    // A BLE device drops the connection when it resets and advertises again once it has booted:
    // the request after that (dfu's polls, a retry) connects again.
    return await ReconnectingTransport.open(() => BleTransport.open({ target }));
  } catch (err) {
    // The BLE layer's messages name the device and the controller; keep their fault (no answer).
    const why = err instanceof Error ? err.message : String(err);
    throw new CliError(capitalize(why), { cause: err, ...(faultOf(err) ? { fault: faultOf(err) } : {}) });
  }
}
