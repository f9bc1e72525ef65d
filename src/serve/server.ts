/**
 * zdfu serve: one loopback HTTP server that serves the dashboard's files and, at SERVE_WS_PATH,
 * the WebSocket bridge from pages to local devices (./connection.ts). Who may connect is decided
 * at the upgrade (./loopback.ts: Host and Origin) and by the token in the hello. Bounded: at most
 * `maxConnections` sockets, each message at most SERVE_MAX_MESSAGE_BYTES. Node only.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { ConnProfile } from '../cli/profiles.ts';
import type { SimHandle } from '../device/io/sim-host.ts';
import type { ConnTarget } from '../transport/kinds/kind.ts';
import type { Transport } from '../transport/transport.ts';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS, ServeConnection } from './connection.ts';
import { type FleetFeed, type FleetFeedOptions, FleetHub, type FleetStatusSource } from './fleet-feed.ts';
import type { FleetStatusLike } from './fleet-protocol.ts';
import { isOwnHost, loopbackListenHost, ownOrigins } from './loopback.ts';
import { SERVE_CLOSE, SERVE_MAX_MESSAGE_BYTES, SERVE_WS_PATH } from './protocol.ts';
import { defaultDashboardRoot, plain, StaticFiles } from './static-files.ts';
import { type PortInfo, TargetCatalog } from './targets.ts';
import { makeToken } from './token.ts';

export interface ServeOptions {
  /** Loopback address to listen on; default 127.0.0.1. Anything else is refused. */
  readonly host?: string;
  /** Port; 0 picks a free one. Default DEFAULT_SERVE_PORT. */
  readonly port?: number;
  /** The token pages must give; default a new random one (tests pass their own). */
  readonly token?: string;
  /** Origins besides the serve's own whose pages may connect (still with the token). */
  readonly allowOrigins?: readonly string[];
  /** The dashboard build to serve; default dist/dashboard of the package. */
  readonly staticRoot?: string;
  readonly profiles?: { list(): ConnProfile[] };
  readonly sims?: readonly SimHandle[];
  readonly listPorts?: () => Promise<readonly PortInfo[]>;
  /** How a target is opened; default zdfu's Node transports (tests wrap them). */
  readonly openTarget?: (target: ConnTarget) => Promise<Transport>;
  /** Most WebSockets open at once. Default 16. */
  readonly maxConnections?: number;
  readonly limits?: Partial<ConnectionLimits>;
  readonly serverName?: string;
  /** One line per event worth telling the user (a page opened a device, a refusal). */
  readonly log?: (line: string) => void;
}

export interface ServeHandle {
  readonly host: string;
  readonly port: number;
  readonly token: string;
  /** The page's address with the token in its fragment: what the user opens. */
  readonly url: string;
  /** The page's origin, without the token. */
  readonly origin: string;
  readonly dashboardBuilt: boolean;
  readonly staticRoot: string;
  /** Sockets open now (for tests and the status line). */
  connectionCount(): number;
  /**
   * Feeds a gateway's fleet status to pages that ask for it (use serveFleetStatus in
   * ./fleet-feed.ts). One feed at a time: a new one replaces the last.
   */
  serveFleet<S extends FleetStatusLike>(source: FleetStatusSource<S>, options?: FleetFeedOptions): FleetFeed;
  /** Closes every socket (and so every device link), then the server. */
  close(): Promise<void>;
}

export const DEFAULT_SERVE_PORT = 8117;
const DEFAULT_MAX_CONNECTIONS = 16;
/** How long the server may take to close its last sockets when stopping. */
const STOP_TIMEOUT_MS = 5000;

export class ServePortInUseError extends Error {
  override readonly name = 'ServePortInUseError';
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(
      `port ${port} on ${host} is taken (another zdfu serve?): pick another with --port N, or --port 0 for any free one`,
    );
  }
}

export async function startServe(options: ServeOptions = {}): Promise<ServeHandle> {
  const host = loopbackListenHost(options.host ?? '127.0.0.1');
  const token = options.token ?? makeToken();
  const log = options.log ?? (() => undefined);
  const files = new StaticFiles(options.staticRoot ?? defaultDashboardRoot());
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const catalog = new TargetCatalog({
    ...(options.profiles ? { profiles: options.profiles } : {}),
    ...(options.sims ? { sims: options.sims } : {}),
    ...(options.listPorts ? { listPorts: options.listPorts } : {}),
    ...(options.openTarget ? { open: options.openTarget } : {}),
  });
  const connections = new Set<ServeConnection>();
  const busy = new Set<string>();
  let port = 0;
  let origins = new Set<string>();
  let fleet: FleetHub | undefined;

  const server: Server = createServer((request, response) => {
    if (!isOwnHost(request.headers.host, port, host)) {
      plain(
        response,
        421,
        `zdfu serve answers only at http://127.0.0.1:${port}/ (this request named another host).`,
      );
      return;
    }
    void files.handle(request, response).catch(() => response.destroy());
  });
  // A request that trickles in is not waited for forever (Node's default is 5 minutes).
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  // Sockets handed to ws are not the server's: ws closes them.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: SERVE_MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== SERVE_WS_PATH || !isOwnHost(request.headers.host, port, host)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      // Refusals come as close codes with words, which a page can show (an HTTP refusal of the
      // upgrade reaches a page only as "connection failed").
      const origin = request.headers.origin;
      if (origin !== undefined && !origins.has(origin)) {
        log(`refused a page from ${origin.slice(0, 100)}: not an allowed origin`);
        ws.close(SERVE_CLOSE.originRefused.code, SERVE_CLOSE.originRefused.reason);
        return;
      }
      if (connections.size >= maxConnections) {
        log(`refused a connection: ${connections.size} are open already`);
        ws.close(SERVE_CLOSE.tooManyConnections.code, SERVE_CLOSE.tooManyConnections.reason);
        return;
      }
      const connection = new ServeConnection(ws, {
        token,
        catalog,
        serverName: options.serverName ?? 'zdfu serve',
        limits,
        busy,
        log,
        fleet: () => fleet,
      });
      connections.add(connection);
      void connection.finished.then(() => connections.delete(connection));
    });
  });

  port = await listen(server, host, options.port ?? DEFAULT_SERVE_PORT);
  origins = new Set([...ownOrigins(port, host), ...(options.allowOrigins ?? [])]);
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    token,
    origin,
    url: `${origin}/#token=${token}`,
    dashboardBuilt: files.built,
    staticRoot: files.root,
    connectionCount: () => connections.size,
    serveFleet(source, feedOptions = {}) {
      fleet?.close();
      const hub = new FleetHub(source as FleetStatusSource<FleetStatusLike>, { log, ...feedOptions });
      fleet = hub;
      return {
        url: `${origin}/#token=${token}&view=fleet`,
        subscriberCount: () => hub.subscriberCount(),
        close() {
          hub.close();
          if (fleet === hub) fleet = undefined;
        },
      };
    },
    close() {
      closing ??= (async () => {
        // Pages hear "zdfu serve is stopping" (1001), not that the fleet feed ended.
        await Promise.all([...connections].map((connection) => connection.shutdown()));
        fleet?.close();
        wss.close();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            server.closeAllConnections();
            resolve();
          }, STOP_TIMEOUT_MS);
          server.close(() => {
            clearTimeout(timer);
            resolve();
          });
          // Idle keep-alive connections of the page would hold close() open.
          server.closeIdleConnections();
        });
      })();
      return closing;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') reject(new ServePortInUseError(host, port));
      else reject(new Error(`cannot listen on ${host} port ${port}: ${error.message}`, { cause: error }));
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
