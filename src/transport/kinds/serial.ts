/**
 * The serial kind: SMP over a UART console with mcumgr's serial framing (Zephyr smp_uart.c,
 * uart_mcumgr.c). Target: `dev=/dev/ttyACM0,baud=115200,mtu=256` (Go mcumgr's keys) or a bare
 * device path. Pure: no Node imports (the Node opener is in ../serial.ts).
 */
import { SERIAL_MAX_PACKET } from '../serial-framing.ts';
import { bufferBoundWindow, ConnStringError, type KindDescriptor, MIN_MTU, parseConnInt } from './kind.ts';

export interface SerialTarget {
  readonly type: 'serial';
  readonly path: string;
  readonly baudRate: number;
  /**
   * Largest SMP packet (header + CBOR) one request may be, as the user set it; undefined lets
   * the device's advertised buffer size (MCUmgr params) decide.
   */
  readonly mtu?: number;
}

declare module './kind.ts' {
  interface KindTargets {
    serial: SerialTarget;
  }
}

export const DEFAULT_BAUD_RATE = 115_200;
/**
 * Zephyr's CONFIG_MCUMGR_TRANSPORT_UART_MTU default: the request size used over serial when the
 * user gave no mtu and the device does not say how large its buffers are.
 */
export const DEFAULT_SERIAL_MTU = 256;
/**
 * Zephyr's serial receive (smp_uart.c → mcumgr_serial_process_frag) keeps the 2 length bytes and
 * the 2 CRC bytes in the same netbuf as the packet.
 */
export const SERIAL_NETBUF_OVERHEAD = 4;

export const serialKind: KindDescriptor<'serial'> = {
  type: 'serial',
  syntax: 'dev=PATH[,baud=N][,mtu=N] or PATH',
  parse: parseSerialConnString,
  format(target) {
    const mtu = target.mtu === undefined ? '' : `,mtu=${target.mtu}`;
    return `dev=${target.path},baud=${target.baudRate}${mtu}`;
  },
  describe: (target) => ({ where: `serial port ${target.path}`, id: target.path }),
  deviceRequestLimit: (bufSize) => bufSize - SERIAL_NETBUF_OVERHEAD,
  unreportedRequestLimit: DEFAULT_SERIAL_MTU,
  pipelineWindow: (bufCount) => bufferBoundWindow(bufCount),
};

function parseSerialConnString(connstring: string): SerialTarget {
  const text = connstring.trim();
  if (text === '') throw new ConnStringError('Serial connstring is empty; expected "dev=PATH".', connstring);
  if (!text.includes('=')) {
    if (text.includes(',')) {
      throw new ConnStringError(
        `Serial connstring "${connstring}" mixes a bare path with other parts.`,
        connstring,
      );
    }
    return { type: 'serial', path: text, baudRate: DEFAULT_BAUD_RATE };
  }
  let path: string | undefined;
  let baudRate = DEFAULT_BAUD_RATE;
  let mtu: number | undefined;
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) {
      throw new ConnStringError(`Serial connstring part "${part}" is not KEY=VALUE.`, connstring);
    }
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (seen.has(key)) throw new ConnStringError(`Serial connstring gives "${key}" twice.`, connstring);
    seen.add(key);
    switch (key) {
      case 'dev':
        if (value === '') throw new ConnStringError('Serial connstring has an empty "dev".', connstring);
        path = value;
        break;
      case 'baud':
        baudRate = parseConnInt(value, 'baud', connstring, 1, 20_000_000);
        break;
      case 'mtu':
        // The frame's 16-bit length counts the packet and its CRC: no larger packet can be sent.
        mtu = parseConnInt(value, 'mtu', connstring, MIN_MTU, SERIAL_MAX_PACKET);
        break;
      default:
        throw new ConnStringError(
          `Serial connstring has unknown key "${key}"; known keys are dev, baud, mtu.`,
          connstring,
        );
    }
  }
  if (path === undefined)
    throw new ConnStringError(`Serial connstring "${connstring}" has no "dev=PATH".`, connstring);
  return mtu === undefined ? { type: 'serial', path, baudRate } : { type: 'serial', path, baudRate, mtu };
}
