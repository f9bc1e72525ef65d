/**
 * A gateway's fleet status through a real zdfu serve to page clients over real sockets: the token
 * and origin still guard it, the first snapshot is whole, later updates are throttled deltas, a
 * serve without a gateway says so, and stopping the feed tells the pages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { FleetHub, serveFleetStatus } from '../../src/serve/fleet-feed.ts';
import type {
  FleetDeviceLike,
  FleetServerMessage,
  FleetSnapshot,
  FleetStatusLike,
} from '../../src/serve/fleet-protocol.ts';
import { decodeServerFrame, SERVE_CLOSE, SERVE_WS_PATH } from '../../src/serve/protocol.ts';
import { ServeError, watchServeFleet } from '../../src/transport/web/websocket.ts';
import { type Bench, pageSocket, startBench, until } from './helpers.ts';

let bench: Bench | undefined;

afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

/** A status source as a gateway is one: a status to read and a change to hear of. */
class Source {
  private listeners = new Set<(status: FleetStatusLike) => void>();
  statusCalls = 0;
  current: FleetStatusLike;

  constructor(count: number) {
    this.current = {
      server: 'http://127.0.0.1:8080',
      startedAt: Date.now(),
      devices: Array.from({ length: count }, (_, i) => device(i)),
    };
  }
  status(): FleetStatusLike {
    this.statusCalls++;
    return this.current;
  }
  onStatus(listener: (status: FleetStatusLike) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  listenerCount(): number {
    return this.listeners.size;
  }
  change(index: number, patch: Partial<FleetDeviceLike>): void {
    const devices = [...this.current.devices];
    devices[index] = { ...devices[index]!, ...patch, updatedAt: Date.now() };
    this.current = { ...this.current, devices };
    for (const listener of this.listeners) listener(this.current);
  }
}

function device(index: number): FleetDeviceLike {
  return {
    controllerId: `sim-${index}`,
    link: `sim #${index}`,
    board: 'nrf52840dk',
    version: '1.0.0',
    confirmed: true,
    phase: 'polling',
    updatedAt: Date.now(),
  };
}

function watch(b: Bench, snapshots: FleetSnapshot[], ended: ServeError[] = []) {
  return watchServeFleet(
    { url: b.serve.origin, token: b.serve.token, WebSocket: pageSocket(b.serve.origin) },
    { onStatus: (s) => snapshots.push(s), onEnd: (e) => ended.push(e) },
  );
}

describe('the fleet status through zdfu serve', () => {
  it('a page gets the whole fleet, then throttled deltas, and the serve says it has a fleet', async () => {
    bench = await startBench({ sim: false });
    const source = new Source(1000);
    const feed = serveFleetStatus(bench.serve, source, { intervalMs: 200 });
    expect(feed.url).toBe(`${bench.serve.origin}/#token=${bench.serve.token}&view=fleet`);

    // The hello tells a page there is a fleet to watch.
    const hello = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${bench!.serve.port}${SERVE_WS_PATH}`);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', protocol: 1, token: bench!.serve.token })));
      ws.on('message', (data) => {
        resolve(String(data));
        ws.close();
      });
      ws.on('error', reject);
    });
    expect(JSON.parse(hello)).toMatchObject({ type: 'hello', fleet: true });

    const snapshots: FleetSnapshot[] = [];
    const watching = await watch(bench, snapshots);
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]?.devices).toHaveLength(1000);
    expect(snapshots[0]?.devices[999]).toMatchObject({ controllerId: 'sim-999', phase: 'polling' });
    await until(() => feed.subscriberCount() === 1, 'the feed counting the page');

    // A burst of 50 changes within one interval reaches the page as one or two updates, not 50.
    const calls = source.statusCalls;
    for (let i = 0; i < 50; i++) {
      source.change(i, { phase: 'uploading', progress: { sent: i * 100, total: 48_000 } });
    }
    await until(() => snapshots.at(-1)?.devices[49]?.phase === 'uploading', 'the burst to arrive', 3000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(snapshots.length - 1).toBeLessThanOrEqual(2);
    expect(source.statusCalls - calls).toBeLessThanOrEqual(2);
    expect(snapshots.at(-1)?.devices[49]?.progress).toEqual({ sent: 4900, total: 48_000 });

    source.change(7, { phase: 'failed', error: 'the device refused the image: bad signature' });
    await until(() => snapshots.at(-1)?.devices[7]?.phase === 'failed', 'the failure to arrive', 3000);
    expect(snapshots.at(-1)?.devices[7]?.error).toBe('the device refused the image: bad signature');
    expect(snapshots.at(-1)?.devices).toHaveLength(1000);

    watching.close();
    await until(() => feed.subscriberCount() === 0, 'the page to leave the feed');
  });

  it('stopping the feed tells the watching page, and the serve keeps running without a fleet', async () => {
    bench = await startBench({ sim: false });
    const source = new Source(3);
    const feed = serveFleetStatus(bench.serve, source);
    const ended: ServeError[] = [];
    await watch(bench, [], ended);
    feed.close();
    expect(source.listenerCount()).toBe(0);
    await until(() => ended.length === 1, 'the page to hear the feed ended');
    expect(ended[0]).toMatchObject({ code: 'fleetEnded', message: SERVE_CLOSE.fleetEnded.reason });

    const failure = await watch(bench, []).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ServeError);
    expect(failure).toMatchObject({ code: 'no-fleet' });
    expect((failure as Error).message).toMatch(/runs no gateway.*zdfu gateway --dashboard/);

    // The serve stopping says so, not that the fleet ended.
    serveFleetStatus(bench.serve, source);
    const stopping: ServeError[] = [];
    await watch(bench, [], stopping);
    await bench.serve.close();
    await until(() => stopping.length === 1, 'the page to hear the serve stop');
    expect(stopping[0]).toMatchObject({ code: 'serveStopping' });
  });

  it('the token and the origin guard the fleet as they guard devices', async () => {
    bench = await startBench({ sim: false });
    serveFleetStatus(bench.serve, new Source(2));
    const wrongToken = await watchServeFleet(
      { url: bench.serve.origin, token: 'guess', WebSocket: pageSocket(bench.serve.origin) },
      { onStatus: () => undefined, onEnd: () => undefined },
    ).catch((e: unknown) => e);
    expect(wrongToken).toMatchObject({ code: 'wrongToken' });
    const otherSite = await watchServeFleet(
      { url: bench.serve.origin, token: bench.serve.token, WebSocket: pageSocket('https://evil.example') },
      { onStatus: () => undefined, onEnd: () => undefined },
    ).catch((e: unknown) => e);
    expect(otherSite).toMatchObject({ code: 'originRefused' });
  });

  it('a page that does not read is skipped, not queued for, and catches up in one update', async () => {
    const source = new Source(200);
    const hub = new FleetHub(source, { intervalMs: 10, maxBufferedBytes: 1000 });
    const sent: FleetServerMessage[] = [];
    let unread = 0;
    const unsubscribe = hub.subscribe({
      send: (text) => {
        const frame = decodeServerFrame(text);
        if (frame.type === 'fleet') sent.push(frame);
      },
      buffered: () => unread,
      ended: () => undefined,
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ seq: 1, reset: true, last: true });
    // The page stops reading: 50 changes over several intervals send nothing.
    unread = 5000;
    for (let i = 0; i < 50; i++) {
      source.change(i, { phase: 'uploading', progress: { sent: i, total: 50 } });
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sent).toHaveLength(1);
    // It drains: with no further change, the next look sends one update with all 50.
    unread = 0;
    await until(() => sent.length === 2, 'the catch-up update');
    expect(sent[1]).toMatchObject({ seq: 2, reset: false, last: true });
    expect(sent[1]?.devices.map((d) => d.controllerId)).toEqual(
      Array.from({ length: 50 }, (_, i) => `sim-${i}`),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sent).toHaveLength(2);
    unsubscribe();
    hub.close();
  });
});
