/**
 * mcumgr-style connection strings, parsed into a typed link target.
 *   serial: `dev=/dev/ttyUSB0,baud=115200,mtu=256` or a bare device path
 *   udp:    `127.0.0.1:1337`, `[::1]:1337`, `host` (port 1337)
 * Pure: no Node imports.
 */

import { type BleTarget, formatBleTarget, parseBleConnString } from './ble-connstring.ts';

export type ConnType = 'serial' | 'udp' | 'ble';

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

export interface UdpTarget {
  readonly type: 'udp';
  readonly host: string;
  readonly port: number;
}

export type ConnTarget = SerialTarget | UdpTarget | BleTarget;
export type { BleTarget };

export const CONN_TYPES: readonly ConnType[] = ['serial', 'udp', 'ble'];
export const DEFAULT_BAUD_RATE = 115_200;
/**
 * Zephyr's CONFIG_MCUMGR_TRANSPORT_UART_MTU default: the request size used over serial when the
 * user gave no mtu and the device does not say how large its buffers are.
 */
export const DEFAULT_SERIAL_MTU = 256;
/** Zephyr's CONFIG_MCUMGR_TRANSPORT_UDP_PORT default. */
export const DEFAULT_UDP_PORT = 1337;
/** An upload's first request needs room for the 32-byte image header plus its fields. */
export const MIN_MTU = 96;
export const MAX_MTU = 65_535 + 8;

export class ConnStringError extends Error {
  override readonly name = 'ConnStringError';
  constructor(
    message: string,
    readonly connstring: string,
  ) {
    super(message);
  }
}

export function isConnType(value: string): value is ConnType {
  return (CONN_TYPES as readonly string[]).includes(value);
}

export function parseConnType(value: string): ConnType {
  if (isConnType(value)) return value;
  throw new ConnStringError(
    `Unknown connection type "${value}"; expected one of: ${CONN_TYPES.join(', ')}.`,
    value,
  );
}

export function parseConnString(type: ConnType, connstring: string): ConnTarget {
  if (type === 'ble') return parseBleConnString(connstring);
  return type === 'serial' ? parseSerialConnString(connstring) : parseUdpConnString(connstring);
}

export function parseSerialConnString(connstring: string): SerialTarget {
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
        baudRate = parsePositiveInt(value, 'baud', connstring, 1, 20_000_000);
        break;
      case 'mtu':
        mtu = parsePositiveInt(value, 'mtu', connstring, MIN_MTU, MAX_MTU);
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

export function parseUdpConnString(connstring: string): UdpTarget {
  const text = connstring.trim();
  if (text === '') throw new ConnStringError('UDP connstring is empty; expected "HOST[:PORT]".', connstring);
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0)
      throw new ConnStringError(`UDP connstring "${connstring}" has "[" without "]".`, connstring);
    const host = text.slice(1, close);
    if (host === '')
      throw new ConnStringError(`UDP connstring "${connstring}" has an empty host.`, connstring);
    const rest = text.slice(close + 1);
    if (rest === '') return { type: 'udp', host, port: DEFAULT_UDP_PORT };
    if (!rest.startsWith(':')) {
      throw new ConnStringError(
        `UDP connstring "${connstring}" has "${rest}" after "]"; expected ":PORT".`,
        connstring,
      );
    }
    return { type: 'udp', host, port: parsePort(rest.slice(1), connstring) };
  }
  const colons = text.split(':').length - 1;
  if (colons > 1) {
    // A bare IPv6 address: no port can be given without brackets.
    return { type: 'udp', host: text, port: DEFAULT_UDP_PORT };
  }
  if (colons === 0) return { type: 'udp', host: text, port: DEFAULT_UDP_PORT };
  const [host = '', port = ''] = text.split(':');
  if (host === '') throw new ConnStringError(`UDP connstring "${connstring}" has an empty host.`, connstring);
  return { type: 'udp', host, port: parsePort(port, connstring) };
}

/** Renders a target back into the canonical connstring (used when storing profiles). */
export function formatConnTarget(target: ConnTarget): string {
  if (target.type === 'ble') return formatBleTarget(target);
  if (target.type === 'serial') {
    const mtu = target.mtu === undefined ? '' : `,mtu=${target.mtu}`;
    return `dev=${target.path},baud=${target.baudRate}${mtu}`;
  }
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${host}:${target.port}`;
}

function parsePort(value: string, connstring: string): number {
  return parsePositiveInt(value, 'port', connstring, 1, 65_535);
}

function parsePositiveInt(value: string, what: string, connstring: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) {
    throw new ConnStringError(`Connstring ${what} "${value}" is not a whole number.`, connstring);
  }
  const n = Number(value);
  if (n < min || n > max) {
    throw new ConnStringError(`Connstring ${what} ${n} is out of range (${min}..${max}).`, connstring);
  }
  return n;
}
