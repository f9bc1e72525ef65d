/**
 * Who may drive devices through zdfu serve: only a page or program with the printed token, only
 * from the serve's own origin (or one the user allowed), only on loopback, only a bounded number.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { loopbackListenHost, ServeHostError } from '../../src/serve/loopback.ts';
import { SERVE_CLOSE, SERVE_WS_PATH } from '../../src/serve/protocol.ts';
import { startServe } from '../../src/serve/server.ts';
import { tokensEqual } from '../../src/serve/token.ts';
import { listServeTargets, openServeTransport, ServeError } from '../../src/transport/web/websocket.ts';
import { type Bench, httpGet, pageSocket, startBench, until } from './helpers.ts';

let bench: Bench | undefined;

afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

/** Opens a raw socket, sends `first` (if any) once open, and resolves with how the serve closed it. */
function closeOf(
  url: string,
  first: string | undefined,
  options: { origin?: string; headers?: Record<string, string> } = {},
): Promise<{ code: number; reason: string; messages: string[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const messages: string[] = [];
    ws.on('open', () => {
      if (first !== undefined) ws.send(first);
    });
    ws.on('message', (data) => messages.push(String(data)));
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), messages }));
    ws.on('error', reject);
  });
}

const wsUrl = (b: Bench) => `ws://127.0.0.1:${b.serve.port}${SERVE_WS_PATH}`;

describe('the token', () => {
  it('a wrong token is refused with its own close code and the words to fix it', async () => {
    bench = await startBench({ sim: false });
    const closed = await closeOf(
      wsUrl(bench),
      JSON.stringify({ type: 'hello', protocol: 1, token: 'guess' }),
    );
    expect(closed).toEqual({
      code: 4001,
      reason: 'wrong serve token: copy the URL zdfu serve printed',
      messages: [],
    });
    // The page-side transport turns it into a ServeError with the same words.
    const failure = await listServeTargets({
      url: bench.serve.origin,
      token: `${bench.serve.token}x`,
      WebSocket: pageSocket(bench.serve.origin),
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ServeError);
    expect(failure).toMatchObject({
      code: 'wrongToken',
      message: SERVE_CLOSE.wrongToken.reason,
      fault: 'local',
    });
  });

  it('anything before the hello, or a hello without a token, is a missing token', async () => {
    bench = await startBench({ sim: false });
    for (const first of [
      JSON.stringify({ type: 'list' }),
      JSON.stringify({ type: 'hello', protocol: 1 }),
      'not json',
    ]) {
      const closed = await closeOf(wsUrl(bench), first);
      expect(closed.code, first).toBe(4001);
      expect(closed.messages, first).toEqual([]);
    }
    const binary = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl(bench!));
      ws.on('open', () => ws.send(new Uint8Array(16)));
      ws.on('close', (code) => resolve(code));
    });
    expect(binary).toBe(4001);
  });

  it('no hello at all: the serve closes the socket after its hello timeout', async () => {
    bench = await startBench({ sim: false, serve: { limits: { helloTimeoutMs: 200 } } });
    const started = Date.now();
    const closed = await closeOf(wsUrl(bench), undefined);
    expect(closed.code).toBe(SERVE_CLOSE.helloTimeout.code);
    expect(Date.now() - started).toBeLessThan(2000);
    await until(() => bench!.serve.connectionCount() === 0, 'the connection to be released');
  });

  it('the right token gets the hello back, and a page of another protocol version is told so', async () => {
    bench = await startBench({ sim: false });
    const good = new WebSocket(wsUrl(bench));
    const reply = await new Promise<string>((resolve) => {
      good.on('open', () =>
        good.send(JSON.stringify({ type: 'hello', protocol: 1, token: bench!.serve.token })),
      );
      good.on('message', (data) => resolve(String(data)));
    });
    expect(JSON.parse(reply)).toEqual({ type: 'hello', protocol: 1, server: 'zdfu serve' });
    good.close();
    const future = await closeOf(
      wsUrl(bench),
      JSON.stringify({ type: 'hello', protocol: 2, token: bench.serve.token, features: ['x'] }),
    );
    expect(future.code).toBe(SERVE_CLOSE.protocolVersion.code);
    expect(JSON.parse(future.messages[0]!)).toMatchObject({ type: 'error', code: 'protocol-version' });
    expect(future.messages[0]).toContain('this page speaks zdfu serve protocol 2, zdfu serve speaks 1');
  });

  it('tokens compare equal only when equal', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abd')).toBe(false);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
    expect(tokensEqual('', 'abc')).toBe(false);
  });

  it('each serve makes its own token of at least 128 bits', async () => {
    const a = await startServe({ port: 0, staticRoot: '/nonexistent', listPorts: async () => [] });
    const b = await startServe({ port: 0, staticRoot: '/nonexistent', listPorts: async () => [] });
    try {
      expect(a.token).not.toBe(b.token);
      expect(Buffer.from(a.token, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
      expect(a.url).toBe(`http://127.0.0.1:${a.port}/#token=${a.token}`);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('the origin', () => {
  it('a page of another site is refused before its hello, even with the right token', async () => {
    bench = await startBench({ sim: false });
    for (const origin of ['https://evil.example', `http://evil.example:${bench.serve.port}`, 'null']) {
      const closed = await closeOf(
        wsUrl(bench),
        JSON.stringify({ type: 'hello', protocol: 1, token: bench.serve.token }),
        { origin },
      );
      expect(closed.code, origin).toBe(4003);
      expect(closed.reason, origin).toBe(SERVE_CLOSE.originRefused.reason);
      expect(closed.messages, origin).toEqual([]);
    }
    const failure = await listServeTargets({
      url: bench.serve.origin,
      token: bench.serve.token,
      WebSocket: pageSocket('https://evil.example'),
    }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'originRefused' });
  });

  it("the serve's own origins, an allowed origin and a client without Origin get in", async () => {
    bench = await startBench({ sim: false, serve: { allowOrigins: ['http://localhost:5173'] } });
    const port = bench.serve.port;
    for (const origin of [
      `http://127.0.0.1:${port}`,
      `http://localhost:${port}`,
      'http://localhost:5173',
      undefined,
    ]) {
      const targets = await listServeTargets({
        url: bench.serve.origin,
        token: bench.serve.token,
        WebSocket: pageSocket(origin),
      });
      expect(targets, String(origin)).toEqual([]);
    }
  });

  it('a request naming another host (DNS rebinding) is refused, page and socket alike', async () => {
    bench = await startBench({ sim: false });
    const page = await httpGet(bench.serve.port, '/', {
      headers: { Host: `rebound.example:${bench.serve.port}` },
    });
    expect(page.status).toBe(421);
    expect(page.body).toContain(`zdfu serve answers only at http://127.0.0.1:${bench.serve.port}/`);
    // The same request under the serve's own name is answered (here: the missing-build page).
    expect(
      (await httpGet(bench.serve.port, '/', { headers: { Host: `localhost:${bench.serve.port}` } })).status,
    ).toBe(503);
    const socket = await new Promise<string>((resolve) => {
      const ws = new WebSocket(wsUrl(bench!), { headers: { Host: `rebound.example:${bench!.serve.port}` } });
      ws.on('error', (error) => resolve(error.message));
      ws.on('open', () => resolve('opened'));
    });
    expect(socket).toBe('Unexpected server response: 404');
  });
});

describe('loopback only', () => {
  it('a non-loopback --host is refused in words before anything listens', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com', '10.0.0.1']) {
      await expect(startServe({ host, port: 0 }), host).rejects.toThrow(ServeHostError);
    }
    expect(() => loopbackListenHost('0.0.0.0')).toThrow(
      '--host 0.0.0.0 is not a loopback address, and zdfu serve listens on loopback only',
    );
    expect(loopbackListenHost('localhost')).toBe('127.0.0.1');
    expect(loopbackListenHost('127.0.0.2')).toBe('127.0.0.2');
    expect(loopbackListenHost('[::1]')).toBe('::1');
  });

  it('listens on 127.0.0.1 by default', async () => {
    bench = await startBench({ sim: false });
    expect(bench.serve.host).toBe('127.0.0.1');
    expect(bench.serve.origin).toBe(`http://127.0.0.1:${bench.serve.port}`);
  });
});

describe('bounded', () => {
  it('refuses connections beyond the limit with words, and takes new ones once others close', async () => {
    bench = await startBench({ sim: false, serve: { maxConnections: 2 } });
    const open: WebSocket[] = [];
    for (let i = 0; i < 2; i++) {
      const ws = new WebSocket(wsUrl(bench));
      await new Promise((resolve) => ws.on('open', resolve));
      open.push(ws);
    }
    await until(() => bench!.serve.connectionCount() === 2, 'two connections');
    const third = await closeOf(wsUrl(bench), undefined);
    expect(third.code).toBe(SERVE_CLOSE.tooManyConnections.code);
    expect(third.reason).toBe('zdfu serve has too many open connections');
    for (const ws of open) ws.close();
    await until(() => bench!.serve.connectionCount() === 0, 'the connections to close');
    expect(
      await listServeTargets({ url: bench.serve.origin, token: bench.serve.token, WebSocket: pageSocket() }),
    ).toEqual([]);
  });

  it('a message over the size limit closes the socket (1009), nothing is buffered for it', async () => {
    bench = await startBench({ sim: false });
    const closed = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl(bench!));
      ws.on('open', () => ws.send(new Uint8Array(70_000)));
      ws.on('close', (code) => resolve(code));
      ws.on('error', () => undefined);
    });
    expect(closed).toBe(1009);
  });

  it('opening an unknown target is refused by name', async () => {
    bench = await startBench({ sim: false });
    const failure = await openServeTransport({
      url: bench.serve.origin,
      token: bench.serve.token,
      target: 'port:/etc/passwd',
      WebSocket: pageSocket(),
    }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'unknown-target' });
    expect((failure as Error).message).toContain('zdfu serve offers no device "port:/etc/passwd"');
  });
});
