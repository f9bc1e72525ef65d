import { afterEach, describe, expect, it } from 'vitest';
import { RequestTooLargeError, SmpClient } from '../../src/client/client.ts';
import { imageStateRead, imageUpload } from '../../src/groups/image/models.ts';
import { echo, mcumgrParams } from '../../src/groups/os/models.ts';
import { type CborMap, decodePacket, encodePacket } from '../../src/smp/codec.ts';
import { SmpError, SmpProtocolError, SmpTimeoutError } from '../../src/smp/errors.ts';
import { responseOpFor, type SmpHeader, SmpOp, type SmpVersion } from '../../src/smp/header.ts';
import { LinkError } from '../../src/transport/link-error.ts';
import { createMemoryLink, type MemoryTransport } from '../../src/transport/memory.ts';
import { faultOf } from '../../src/util/fault.ts';

interface Received {
  header: SmpHeader;
  body: CborMap;
}

/** A scriptable device end: records requests and lets each test decide how to answer. */
function setup(
  options: {
    mtu?: number;
    timeoutMs?: number;
    retries?: number;
    version?: SmpVersion;
    probeAfterMs?: number;
  } = {},
) {
  const [clientEnd, deviceEnd] = createMemoryLink({ mtu: options.mtu ?? 1024 });
  const client = new SmpClient(clientEnd, {
    timeoutMs: options.timeoutMs ?? 200,
    retries: options.retries ?? 0,
    version: options.version,
    probeAfterMs: options.probeAfterMs,
  });
  const requests: Received[] = [];
  let handler: (request: Received) => void = () => {};
  deviceEnd.onPacket((packet) => {
    const { header, body } = decodePacket(packet);
    const request = { header, body: body as CborMap };
    requests.push(request);
    handler(request);
  });
  const reply = (request: Received, body: CborMap, override: Partial<SmpHeader> = {}) => {
    const h = request.header;
    void deviceEnd.send(
      encodePacket(
        {
          version: h.version,
          op: responseOpFor(h.op),
          flags: 0,
          group: h.group,
          sequence: h.sequence,
          command: h.command,
          ...override,
        },
        body,
      ),
    );
  };
  return {
    client,
    clientEnd: clientEnd as MemoryTransport,
    deviceEnd: deviceEnd as MemoryTransport,
    requests,
    reply,
    onRequest: (fn: (request: Received) => void) => {
      handler = fn;
    },
  };
}

let toClose: SmpClient[] = [];
afterEach(async () => {
  await Promise.all(toClose.map((c) => c.close()));
  toClose = [];
});
function track<T extends { client: SmpClient }>(value: T): T {
  toClose.push(value.client);
  return value;
}

describe('SmpClient', () => {
  it('sends a v2 request and returns the typed response', async () => {
    const t = track(setup());
    t.onRequest((r) => t.reply(r, { r: r.body.d as string }));
    await expect(t.client.request(echo, { d: 'hello' })).resolves.toEqual({ r: 'hello' });
    expect(t.requests[0]?.header).toMatchObject({
      version: 2,
      op: SmpOp.Write,
      group: 0,
      command: 0,
      sequence: 0,
    });
    expect(t.requests[0]?.body).toEqual({ d: 'hello' });
    await t.client.request(echo, { d: 'again' });
    expect(t.requests[1]?.header.sequence).toBe(1);
  });

  it('matches several requests in flight answered out of order', async () => {
    const t = track(setup());
    const held: Received[] = [];
    t.onRequest((r) => {
      held.push(r);
      if (held.length === 3) for (const h of held.reverse()) t.reply(h, { r: `${h.body.d as string}!` });
    });
    const results = await Promise.all(['a', 'b', 'c'].map((d) => t.client.request(echo, { d })));
    expect(results).toEqual([{ r: 'a!' }, { r: 'b!' }, { r: 'c!' }]);
    expect(t.client.stats.staleReplies).toBe(0);
  });

  it('discards and counts replies that match no request', async () => {
    const t = track(setup());
    t.onRequest((r) => {
      t.reply(r, { r: 'wrong seq' }, { sequence: (r.header.sequence + 9) & 0xff });
      t.reply(r, { r: 'wrong command' }, { command: 3 });
      t.reply(r, { r: 'wrong group' }, { group: 2 });
      t.reply(r, { r: 'a request, not a reply' }, { op: SmpOp.Write });
      t.reply(r, { r: 'right' });
      t.reply(r, { r: 'duplicate' });
    });
    await expect(t.client.request(echo, { d: 'x' })).resolves.toEqual({ r: 'right' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(t.client.stats.staleReplies).toBe(5);
  });

  it('resends after a timeout with the same sequence number', async () => {
    const t = track(setup({ timeoutMs: 30, retries: 2 }));
    t.onRequest((r) => {
      if (t.requests.length === 2) t.reply(r, { buf_size: 384, buf_count: 4 });
    });
    await expect(t.client.request(mcumgrParams, {})).resolves.toEqual({ buf_size: 384, buf_count: 4 });
    expect(t.requests.map((r) => r.header.sequence)).toEqual([0, 0]);
    expect(t.client.stats.retransmits).toBe(1);
    expect(t.client.stats.timeouts).toBe(1);
  });

  it('throws SmpTimeoutError after all attempts', async () => {
    const t = track(setup({ timeoutMs: 20, retries: 1 }));
    const error = await t.client.request(echo, { d: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmpTimeoutError);
    expect((error as SmpTimeoutError).attempts).toBe(2);
    expect((error as Error).message).toMatch(
      /os echo: no response from the device after 2 attempts of 20 ms/,
    );
    expect(t.requests).toHaveLength(2);
    expect(t.client.pending).toBe(0);
  });

  it('falls back to v1 when the device answers a v2 request in v1', async () => {
    const t = track(setup());
    t.onRequest((r) => t.reply(r, { r: 'old' }, { version: 1 }));
    expect(t.client.version).toBe(2);
    await t.client.request(echo, { d: 'x' });
    expect(t.client.version).toBe(1);
    await t.client.request(echo, { d: 'y' });
    expect(t.requests.map((r) => r.header.version)).toEqual([2, 1]);
  });

  it('throws SmpError for device errors and ignores legacy rc 0', async () => {
    const t = track(setup());
    t.onRequest((r) => {
      if (r.body.off === 0) t.reply(r, { err: { group: 1, rc: 30 } });
      else if (r.body.off === 1) t.reply(r, { rc: 8 });
      else t.reply(r, { rc: 0, off: 100 });
    });
    const data = new Uint8Array(4);
    const tooLarge = await t.client.request(imageUpload, { off: 0, len: 9, data }).catch((e: unknown) => e);
    expect(tooLarge).toBeInstanceOf(SmpError);
    expect((tooLarge as Error).message).toBe(
      'image upload: image too large for the slot (INVALID_IMAGE_TOO_LARGE, group 1 rc 30)',
    );
    await expect(t.client.request(imageUpload, { off: 1, data })).rejects.toThrow(/MGMT_ERR_ENOTSUP, rc 8/);
    await expect(t.client.request(imageUpload, { off: 2, data })).resolves.toEqual({ off: 100 });
  });

  it('reports malformed responses as SmpProtocolError', async () => {
    const t = track(setup());
    t.onRequest((r) => t.reply(r, { images: [{ slot: 'zero' }] }));
    const error = await t.client.request(imageStateRead, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmpProtocolError);
    expect((error as Error).message).toMatch(
      /image state read: malformed response: "images\[0\]\.slot" must be/,
    );
  });

  it('wraps sequence numbers after 255', async () => {
    const t = track(setup());
    t.onRequest((r) => t.reply(r, { r: '' }));
    for (let i = 0; i < 257; i++) await t.client.request(echo, { d: '' });
    expect(t.requests.slice(254).map((r) => r.header.sequence)).toEqual([254, 255, 0]);
  });

  it('honours an abort signal and the link MTU', async () => {
    const t = track(setup({ mtu: 64, timeoutMs: 1000 }));
    const controller = new AbortController();
    const pending = t.client.request(echo, { d: 'x' }, { signal: controller.signal });
    controller.abort(new Error('user cancelled'));
    await expect(pending).rejects.toThrow('user cancelled');
    await expect(t.client.request(echo, { d: 'x'.repeat(100) })).rejects.toThrow(
      /request is 113 bytes, larger than the link MTU of 64 bytes/,
    );
  });

  it('rejects requests in flight on close', async () => {
    const t = setup({ timeoutMs: 1000 });
    const pending = t.client.request(echo, { d: 'x' });
    await Promise.resolve();
    await t.client.close();
    await expect(pending).rejects.toThrow(/closed/);
    await expect(t.client.request(echo, { d: 'x' })).rejects.toThrow(/closed/);
  });

  it('fails the requests waiting at once when the link hangs up, and every later one', async () => {
    const t = track(setup({ timeoutMs: 10_000 }));
    const started = Date.now();
    const pending = t.client.request(echo, { d: 'x' });
    await Promise.resolve();
    const hangUp = new LinkError('serial port /dev/ttyX hung up', true);
    t.clientEnd.failLink(hangUp);
    await expect(pending).rejects.toBe(hangUp);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(faultOf(hangUp)).toBe('no-answer');
    const sent = t.requests.length;
    await expect(t.client.request(echo, { d: 'y' })).rejects.toBe(hangUp);
    expect(t.requests).toHaveLength(sent);
  });

  it('fails the waiting requests on a port unreachable, but the link stays usable', async () => {
    const t = track(setup({ timeoutMs: 10_000 }));
    const pending = t.client.request(echo, { d: 'x' });
    await Promise.resolve();
    t.clientEnd.failLink(new LinkError('nothing listens on UDP 127.0.0.1:9', false));
    await expect(pending).rejects.toThrow(/nothing listens/);
    t.onRequest((request) => t.reply(request, { r: request.body.d as string }));
    await expect(t.client.request(echo, { d: 'again' })).resolves.toEqual({ r: 'again' });
  });

  it('says a large request is dropped when the device answers a small probe sent after it', async () => {
    const t = track(setup({ timeoutMs: 10_000, retries: 1, probeAfterMs: 30 }));
    // Like Zephyr with a too-small netbuf: large requests vanish, small ones are answered.
    t.onRequest((request) => {
      if ((request.body.d as string).length <= 200) t.reply(request, { r: request.body.d as string });
    });
    await expect(t.client.request(echo, { d: 'short' })).resolves.toEqual({ r: 'short' });
    const started = Date.now();
    const error = await t.client.request(echo, { d: 'x'.repeat(500) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTooLargeError);
    expect((error as Error).message).toBe(
      'os echo: the device answers small requests but not this 514-byte one (the largest it answered was 17 bytes); it is probably larger than its receive buffer (CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE, or the UART or UDP MTU): send a shorter text',
    );
    expect(faultOf(error)).toBe('local');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(t.client.stats).toMatchObject({ probes: 2, dropped: 2, retransmits: 1 });
  });

  it('does not misread a slow answer: a probe answered after the request proves nothing', async () => {
    const t = track(setup({ timeoutMs: 2000, probeAfterMs: 20 }));
    // One request at a time in arrival order, the first taking 150 ms (a slow flash erase).
    let queue = Promise.resolve();
    t.onRequest((request) => {
      const delay = (request.body.d as string).length > 200 ? 150 : 0;
      queue = queue.then(
        () =>
          new Promise<void>((resolve) =>
            setTimeout(() => {
              t.reply(request, { r: request.body.d as string });
              resolve();
            }, delay),
          ),
      );
    });
    const long = 'y'.repeat(400);
    await expect(t.client.request(echo, { d: long })).resolves.toEqual({ r: long });
    expect(t.client.stats.probes).toBe(1);
    // Now that size is known to pass, it is not probed again.
    await expect(t.client.request(echo, { d: long })).resolves.toEqual({ r: long });
    expect(t.client.stats.probes).toBe(1);
  });
});
