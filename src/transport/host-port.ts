/**
 * The one parser for "host:port" addresses, shared by the UDP connection string, the UDP
 * transport and the virtual device's `--udp` option. Accepts `host:port`, `v4:port`,
 * `[v6]:port`, `[v6]` and a bare IPv6 address (which cannot carry a port without brackets).
 * Pure: no Node imports.
 */

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface HostPortOptions {
  /** Port used when the text has none; without it, a port is required. */
  readonly defaultPort?: number;
  /** Lowest port accepted: 1 for a peer, 0 for a listener ("pick a free port"). Default 1. */
  readonly minPort?: 0 | 1;
  /** What the text is, to start each error sentence ("Connstring", "UDP address"). Default "Address". */
  readonly label?: string;
}

export class HostPortError extends Error {
  override readonly name = 'HostPortError';
  constructor(
    message: string,
    readonly text: string,
  ) {
    super(message);
  }
}

export function parseHostPort(text: string, options: HostPortOptions = {}): HostPort {
  const address = text.trim();
  const label = options.label ?? 'Address';
  const example = 'e.g. 127.0.0.1:1337 or [::1]:1337';
  if (address === '') throw new HostPortError(`${label} is empty; expected HOST:PORT (${example}).`, text);
  let host: string;
  let port: string | undefined;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0) throw new HostPortError(`${label} "${text}" has "[" without "]".`, text);
    host = address.slice(1, close);
    const rest = address.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) {
        throw new HostPortError(
          `${label} "${text}" has "${rest}" after "]"; expected ":PORT" (${example}).`,
          text,
        );
      }
      port = rest.slice(1);
    }
  } else if (address.indexOf(':') !== address.lastIndexOf(':')) {
    // Two or more colons: a bare IPv6 address, which cannot carry a port without brackets.
    host = address;
  } else {
    const colon = address.indexOf(':');
    host = colon < 0 ? address : address.slice(0, colon);
    port = colon < 0 ? undefined : address.slice(colon + 1);
  }
  if (host === '') throw new HostPortError(`${label} "${text}" has an empty host.`, text);
  if (port === undefined) {
    if (options.defaultPort === undefined) {
      throw new HostPortError(`${label} "${text}" has no port; expected HOST:PORT (${example}).`, text);
    }
    return { host, port: options.defaultPort };
  }
  return { host, port: parsePort(port, options.minPort ?? 1, label, text) };
}

/** Writes an address back: IPv6 hosts in brackets, so the port stays readable. */
export function formatHostPort(address: HostPort): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}

function parsePort(value: string, min: number, label: string, text: string): number {
  if (!/^\d+$/.test(value)) throw new HostPortError(`${label} port "${value}" is not a whole number.`, text);
  const port = Number(value);
  if (port < min || port > 65_535) {
    throw new HostPortError(`${label} port ${port} is out of range (${min}..65535).`, text);
  }
  return port;
}
