/**
 * The page side's own bounds (src/transport/web/websocket.ts), over a scripted WebSocket: a send
 * waits while the socket holds too much unsent and fails in words when it never drains; every
 * answer of the serve has a timeout; the serve's own words reach the page.
 */
import { describe, expect, it } from 'vitest';
import { encodeMessage, type ServerMessage } from '../../src/serve/protocol.ts';
import { LinkError } from '../../src/transport/link-error.ts';
import {
  listServeTargets,
  openServeTransport,
  SEND_HIGH_WATER_BYTES,
  type ServeSocket,
} from '../../src/transport/web/websocket.ts';

type Listener = (event: never) => void;

/** A WebSocket whose serve answers from a script; sent frames are recorded. */
function scripted(answer: (sent: string) => ServerMessage | undefined, state: { socket?: FakeSocket } = {}) {
  return class extends FakeSocket {
    constructor(url: string) {
      super(url, answer);
      state.socket = this;
    }
  };
}

class FakeSocket implements ServeSocket {
  binaryType = 'blob';
  readyState = 0;
  bufferedAmount = 0;
  readonly sent: (string | Uint8Array)[] = [];
  private readonly listeners = new Map<string, Listener[]>();

  constructor(
    readonly url: string,
    private readonly answer: (sent: string) => ServerMessage | undefined,
  ) {
    setTimeout(() => {
      this.readyState = 1;
      this.fire('open', {});
    }, 1);
  }

  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  fire(type: string, event: object): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event as never);
  }

  send(data: string | Uint8Array): void {
    this.sent.push(data);
    if (typeof data !== 'string') return;
    const reply = this.answer(data);
    if (reply) setTimeout(() => this.fire('message', { data: encodeMessage(reply) }), 1);
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    setTimeout(() => this.fire('close', { code, reason }), 1);
  }
}

const serve = (sent: string): ServerMessage | undefined => {
  const message = JSON.parse(sent) as { type: string };
  if (message.type === 'hello') return { type: 'hello', protocol: 1, server: 'test serve' };
  if (message.type === 'open') return { type: 'opened', target: 'sim:x/udp', kind: 'udp', mtu: 1024 };
  if (message.type === 'list') return { type: 'targets', targets: [] };
  return undefined;
};

describe('the page-side transport', () => {
  it('connects to the socket address of the serve, says hello with the token, then opens the target', async () => {
    const state: { socket?: FakeSocket } = {};
    const transport = await openServeTransport({
      url: 'http://127.0.0.1:8117/#token=abc',
      token: 'abc',
      target: 'sim:x/udp',
      WebSocket: scripted(serve, state),
    });
    expect(state.socket?.url).toBe('ws://127.0.0.1:8117/zdfu/ws');
    expect(state.socket?.binaryType).toBe('arraybuffer');
    expect(state.socket?.sent).toEqual([
      '{"type":"hello","protocol":1,"token":"abc"}',
      '{"type":"open","target":"sim:x/udp"}',
    ]);
    expect([transport.kind, transport.mtu, transport.fragmentSize]).toEqual(['udp', 1024, undefined]);
  });

  it('a send waits while the socket holds more than the high-water mark, and goes once it drains', async () => {
    const state: { socket?: FakeSocket } = {};
    const transport = await openServeTransport({
      url: 'http://h:1',
      token: 't',
      target: 'x',
      WebSocket: scripted(serve, state),
    });
    const socket = state.socket!;
    socket.bufferedAmount = SEND_HIGH_WATER_BYTES + 1;
    let sent = false;
    const sending = transport.send(new Uint8Array(8)).then(() => {
      sent = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sent).toBe(false);
    expect(socket.sent.filter((d) => typeof d !== 'string')).toHaveLength(0);
    socket.bufferedAmount = 0;
    await sending;
    expect(socket.sent.filter((d) => typeof d !== 'string')).toHaveLength(1);
  });

  it('a socket that never drains fails the send in words after the send timeout', async () => {
    const state: { socket?: FakeSocket } = {};
    const transport = await openServeTransport({
      url: 'http://h:1',
      token: 't',
      target: 'x',
      sendTimeoutMs: 100,
      WebSocket: scripted(serve, state),
    });
    state.socket!.bufferedAmount = SEND_HIGH_WATER_BYTES * 2;
    const started = Date.now();
    const failure = await transport.send(new Uint8Array(8)).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(failure).toBeInstanceOf(LinkError);
    expect((failure as Error).message).toBe(
      `the connection to zdfu serve is stuck: ${SEND_HIGH_WATER_BYTES * 2} bytes still unsent after 100 ms`,
    );
  });

  it('a serve that does not answer fails in words after the timeout, not never', async () => {
    const silent = scripted(() => undefined);
    const started = Date.now();
    await expect(
      listServeTargets({ url: 'http://h:1', token: 't', WebSocket: silent, timeoutMs: 100 }),
    ).rejects.toMatchObject({
      code: 'timeout',
      message: 'zdfu serve did not answer "hello" within 100 ms',
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('the serve refusing the open comes back as its code and words', async () => {
    const refusing = scripted((sent) =>
      JSON.parse(sent).type === 'open'
        ? {
            type: 'error',
            code: 'busy',
            message: 'sim:x/udp is open in another page or tab; close it there first',
          }
        : serve(sent),
    );
    await expect(
      openServeTransport({ url: 'http://h:1', token: 't', target: 'sim:x/udp', WebSocket: refusing }),
    ).rejects.toMatchObject({
      code: 'busy',
      message: 'sim:x/udp is open in another page or tab; close it there first',
    });
  });

  it('link errors and the socket closing reach the transport’s listeners; later sends fail at once', async () => {
    const state: { socket?: FakeSocket } = {};
    const transport = await openServeTransport({
      url: 'http://h:1',
      token: 't',
      target: 'x',
      WebSocket: scripted(serve, state),
    });
    const errors: LinkError[] = [];
    transport.onLinkError((e) => errors.push(e));
    const socket = state.socket!;
    socket.fire('message', {
      data: encodeMessage({ type: 'link-error', message: 'ICMP unreachable', closed: false }),
    });
    socket.fire('close', { code: 1006, reason: '' });
    expect(errors.map((e) => [e.message, e.closed])).toEqual([
      ['ICMP unreachable', false],
      [
        'the connection to zdfu serve ended: cannot reach zdfu serve at ws://h:1/zdfu/ws: is it running? Start it with `zdfu serve` and open the URL it prints',
        true,
      ],
    ]);
    await expect(transport.send(new Uint8Array(8))).rejects.toBe(errors[1]);
  });
});
