/**
 * Who may talk to zdfu serve: it listens on loopback only (another machine must never drive the
 * user's devices), answers only requests addressed to a loopback name (a DNS-rebinding page
 * reaches 127.0.0.1 under its own host name), and takes WebSockets only from its own pages, the
 * origins the user allowed, or non-browser clients (no Origin); all of them also need the token.
 * Node only.
 */
import { isIP } from 'node:net';

export class ServeHostError extends Error {
  override readonly name = 'ServeHostError';
}

/**
 * The address to listen on for `--host`: a loopback address (127.0.0.0/8, ::1) or `localhost`
 * (as 127.0.0.1, so a resolver cannot turn it into something else). Anything else is refused.
 */
export function loopbackListenHost(host: string): string {
  const h = host.trim().replace(/^\[(.*)\]$/, '$1');
  if (h.toLowerCase() === 'localhost') return '127.0.0.1';
  if (isLoopbackAddress(h)) return h;
  throw new ServeHostError(
    `--host ${host} is not a loopback address, and zdfu serve listens on loopback only: ` +
      'anyone who can reach it could drive your devices. Use --host 127.0.0.1 (the default) or --host ::1; ' +
      'to use it from another machine, forward the port over SSH (ssh -L 8117:127.0.0.1:8117 …).',
  );
}

export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return address.split('.')[0] === '127';
  if (family === 6) {
    const lower = address.toLowerCase();
    return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(lower);
  }
  return false;
}

/** The Host header values that name this serve: loopback names with its port. */
export function loopbackHostHeaders(port: number): ReadonlySet<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

/** Whether a request's Host header names this serve (and not a name rebound to 127.0.0.1). */
export function isOwnHost(hostHeader: string | undefined, port: number, listenHost: string): boolean {
  if (hostHeader === undefined) return false;
  const host = hostHeader.toLowerCase();
  if (loopbackHostHeaders(port).has(host)) return true;
  // Another 127.x address the user chose to listen on.
  const literal = listenHost.includes(':') ? `[${listenHost}]:${port}` : `${listenHost}:${port}`;
  return host === literal.toLowerCase();
}

/** The origins of the serve's own pages. */
export function ownOrigins(port: number, listenHost: string): Set<string> {
  const origins = new Set([...loopbackHostHeaders(port)].map((host) => `http://${host}`));
  origins.add(`http://${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${port}`);
  return origins;
}

/**
 * Normalizes an `--allow-origin` value to what browsers send (`scheme://host[:port]`, no path),
 * or throws naming the problem.
 */
export function parseAllowedOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ServeHostError(
      `--allow-origin ${value} is not an origin like https://example.com or http://localhost:5173`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ServeHostError(
      `--allow-origin ${value}: only http and https pages can open a WebSocket to zdfu serve`,
    );
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new ServeHostError(
      `--allow-origin ${value} has a path; an origin is only scheme://host[:port] (here: ${url.origin})`,
    );
  }
  return url.origin;
}
