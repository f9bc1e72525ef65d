/** What the zdfu serve tests share: a running serve with virtual boards, and a page-side socket. */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { DeviceClient } from '../../src/client/device.ts';
import { type SimHandle, type SimOptions, startSim } from '../../src/device/io/sim-host.ts';
import { type ServeHandle, type ServeOptions, startServe } from '../../src/serve/server.ts';
import {
  openServeTransport,
  type ServeSocketConstructor,
  type ServeTransport,
} from '../../src/transport/web/websocket.ts';

export interface Bench {
  serve: ServeHandle;
  sims: SimHandle[];
  dir: string;
  /** A page's device client through the serve to `target`; closed by close(). */
  openPage(target: string, timeoutMs: number): Promise<{ client: DeviceClient; transport: ServeTransport }>;
  close(): Promise<void>;
}

/** A serve on a free port with one fast virtual board (UDP + PTY), its files in an empty folder. */
export async function startBench(
  options: { sim?: SimOptions | false; serve?: ServeOptions } = {},
): Promise<Bench> {
  const dir = mkdtempSync(join(tmpdir(), 'zdfu-serve-'));
  const sims: SimHandle[] = [];
  try {
    if (options.sim !== false) {
      sims.push(
        await startSim({
          udp: '127.0.0.1:0',
          baud: 0,
          flashTimeScale: 0,
          ptyLink: join(dir, 'tty'),
          ...options.sim,
        }),
      );
    }
    const serve = await startServe({
      port: 0,
      staticRoot: join(dir, 'dashboard'),
      sims,
      profiles: { list: () => [] },
      listPorts: async () => [],
      ...options.serve,
    });
    const clients: DeviceClient[] = [];
    return {
      serve,
      sims,
      dir,
      async openPage(target, timeoutMs) {
        const transport = await openServeTransport({
          url: serve.origin,
          token: serve.token,
          target,
          WebSocket: pageSocket(serve.origin),
        });
        const client = new DeviceClient(transport, { timeoutMs, retries: 1 });
        clients.push(client);
        return { client, transport };
      },
      async close() {
        for (const client of clients.splice(0)) await client.close().catch(() => undefined);
        await serve.close();
        for (const sim of sims) await sim.close().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const sim of sims) await sim.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The `ws` package as a page from `origin` would open it (undefined: a non-browser client). */
export function pageSocket(origin?: string): ServeSocketConstructor {
  return class extends WebSocket {
    constructor(url: string) {
      super(url, origin === undefined ? {} : { origin });
    }
  };
}

/** Waits until `check` holds, polling; fails naming `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw HTTP request to the serve (node:http, so the Host header and odd paths go as given). */
export function httpGet(
  port: number,
  path: string,
  options: { headers?: Record<string, string>; method?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers ?? {} },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}
