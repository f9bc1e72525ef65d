/**
 * A gateway's fleet status, fed to the pages of a `zdfu serve` (`zdfu gateway --dashboard`): the
 * serve's side of ./fleet-protocol.ts. One feed per serve takes the status at most once per
 * interval, when the gateway says it changed, and sends each subscribed page the difference to
 * what that page was last sent. A page whose socket still holds more than `maxBufferedBytes`
 * unsent is skipped this time and caught up later in one update (nothing queues without bound).
 */
import type { FleetStatus } from '../fleet/status.ts';
import { FleetDiffer, type FleetStatusLike } from './fleet-protocol.ts';
import { encodeMessage, SERVE_MAX_MESSAGE_BYTES } from './protocol.ts';
import type { ServeHandle } from './server.ts';

/**
 * Where the fleet's status comes from: a gateway (src/fleet/gateway, `Gateway` fits). The default
 * type argument also checks at compile time that the gateway's FleetStatus fits the wire.
 */
export interface FleetStatusSource<S extends FleetStatusLike = FleetStatus> {
  /** The status now. */
  status(): S;
  /** Calls `listener` when the status changed; returns the unsubscribe. */
  onStatus(listener: (status: S) => void): () => void;
}

export interface FleetFeedOptions {
  /** Least time between two updates to a page, ms. Default 250. */
  readonly intervalMs?: number;
  /** Bytes a page's socket may hold unsent before the page is skipped until it drains. Default 1 MiB. */
  readonly maxBufferedBytes?: number;
  /** A line for the user when the source fails (its status() threw). */
  readonly log?: (line: string) => void;
}

export interface FleetFeed {
  /** The dashboard's address that opens on the Fleet view, with the serve's token. */
  readonly url: string;
  /** Pages watching now. */
  subscriberCount(): number;
  /** Stops the feed: watching pages are told (close code fleetEnded); the serve keeps running. */
  close(): void;
}

/**
 * Feeds `source`'s status to the pages of `server`: the gateway's entry point
 * (`zdfu gateway --dashboard [port]`: startServe, then this). A serve has one feed at a time; a
 * second call replaces the first.
 */
export function serveFleetStatus<S extends FleetStatusLike = FleetStatus>(
  server: ServeHandle,
  source: FleetStatusSource<S>,
  options: FleetFeedOptions = {},
): FleetFeed {
  return server.serveFleet(source, options);
}

/** One page watching the fleet: how to reach its socket. */
export interface FleetSubscriber {
  /** Sends one text frame to the page. */
  send(text: string): void;
  /** Bytes its socket holds unsent. */
  buffered(): number;
  /** The feed stopped: close the page's socket. */
  ended(): void;
}

const DEFAULT_INTERVAL_MS = 250;
const DEFAULT_MAX_BUFFERED = 1024 * 1024;

/** The serve's side of one feed (made by ServeHandle.serveFleet). */
export class FleetHub {
  private readonly subscribers = new Map<FleetSubscriber, { differ: FleetDiffer; dirty: boolean }>();
  private readonly intervalMs: number;
  private readonly maxBuffered: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastTick = 0;
  private closed = false;
  private failed = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly source: FleetStatusSource<FleetStatusLike>,
    private readonly options: FleetFeedOptions,
  ) {
    this.intervalMs = Math.max(10, options.intervalMs ?? DEFAULT_INTERVAL_MS);
    this.maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED;
    this.unsubscribe = source.onStatus(() => {
      for (const entry of this.subscribers.values()) entry.dirty = true;
      this.schedule();
    });
  }

  /** Adds a page; it gets the whole fleet at once. Returns its unsubscribe. */
  subscribe(subscriber: FleetSubscriber): () => void {
    if (this.closed) {
      subscriber.ended();
      return () => undefined;
    }
    this.subscribers.set(subscriber, { differ: new FleetDiffer(SERVE_MAX_MESSAGE_BYTES), dirty: true });
    // A new page should not wait out another page's interval for its first snapshot.
    this.tick([subscriber]);
    return () => {
      this.subscribers.delete(subscriber);
    };
  }

  subscriberCount(): number {
    return this.subscribers.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    clearTimeout(this.timer);
    this.timer = undefined;
    const subscribers = [...this.subscribers.keys()];
    this.subscribers.clear();
    for (const subscriber of subscribers) subscriber.ended();
  }

  private schedule(): void {
    if (this.closed || this.timer !== undefined) return;
    const wait = Math.max(0, this.lastTick + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick([...this.subscribers.keys()]);
    }, wait);
  }

  private tick(who: readonly FleetSubscriber[]): void {
    if (this.closed) return;
    const due = who.filter((s) => this.subscribers.get(s)?.dirty === true);
    if (due.length === 0) return;
    this.lastTick = Date.now();
    let status: FleetStatusLike;
    try {
      status = this.source.status();
    } catch (error) {
      // Said once: a source that keeps failing would otherwise fill the log at every change.
      if (!this.failed) this.options.log?.(`the fleet status could not be read: ${(error as Error).message}`);
      this.failed = true;
      return;
    }
    this.failed = false;
    let behind = false;
    for (const subscriber of due) {
      const entry = this.subscribers.get(subscriber);
      if (entry === undefined) continue;
      if (subscriber.buffered() > this.maxBuffered) {
        behind = true;
        continue;
      }
      entry.dirty = false;
      for (const message of entry.differ.diff(status)) subscriber.send(encodeMessage(message));
    }
    // A page skipped for reading slowly is looked at again after an interval, change or not.
    if (behind) this.schedule();
  }
}
