/**
 * What a fleet looks like right now: one row per device a gateway speaks for (its link, board,
 * running version, what it is doing for which hawkBit action, the last feedback sent), and a board
 * that keeps those rows and tells listeners (the dashboard's Fleet view, the CLI's log) when they
 * change. Listeners hear at most one notice per interval, so a thousand devices uploading at once
 * do not flood a web socket. Pure module: no Node imports.
 */
import type { DdiFeedback } from './ddi/client.ts';

/**
 * Where one device is. `queued`: an update is assigned and waits for a free slot (--parallel);
 * `gone`: the device did not answer or its link could not be opened.
 */
export type DevicePhase =
  | 'idle'
  | 'polling'
  | 'queued'
  | 'downloading'
  | 'uploading'
  | 'testing'
  | 'resetting'
  | 'confirming'
  | 'done'
  | 'failed'
  | 'cancelled'
  | 'gone';

export const DEVICE_PHASES: readonly DevicePhase[] = [
  'idle',
  'polling',
  'queued',
  'downloading',
  'uploading',
  'testing',
  'resetting',
  'confirming',
  'done',
  'failed',
  'cancelled',
  'gone',
];

export interface FleetDeviceStatus {
  controllerId: string;
  /** How the gateway reaches it: "udp 127.0.0.1:1337", "serial /dev/ttyACM0", "sim #12". */
  link: string;
  board?: string;
  /** The version running in slot 0, as last seen. */
  version?: string;
  confirmed?: boolean;
  phase: DevicePhase;
  actionId?: string;
  /** The distribution being installed (hawkBit's chunk name and version). */
  target?: { name: string; version: string };
  progress?: { sent: number; total: number };
  lastFeedback?: DdiFeedback;
  /** The last problem, in words (a failed update, a refused poll, an unreachable device). */
  error?: string;
  /** ms since the epoch. */
  updatedAt: number;
}

export interface FleetStatus {
  /** The hawkBit server the gateway speaks to (its base URL). */
  server: string;
  startedAt: number;
  devices: FleetDeviceStatus[];
}

/** A change to one row; `undefined` clears a field (e.g. `progress` once the upload is over). */
export type FleetDevicePatch = {
  [K in Exclude<keyof FleetDeviceStatus, 'controllerId' | 'updatedAt'>]?: FleetDeviceStatus[K] | undefined;
};

/** How many devices are in each phase (for a summary line or a chart). */
export function countPhases(status: FleetStatus): Record<DevicePhase, number> {
  const counts = Object.fromEntries(DEVICE_PHASES.map((phase) => [phase, 0])) as Record<DevicePhase, number>;
  for (const device of status.devices) counts[device.phase] += 1;
  return counts;
}

export interface StatusBoardOptions {
  /** Clock in ms since the epoch (tests inject one). */
  now?: () => number;
  /** Listeners hear at most one notice per this many ms (default 200); 0 tells each change at once. */
  notifyIntervalMs?: number;
}

/** The rows of a fleet and the listeners that want to hear of changes. */
export class StatusBoard {
  private readonly rows = new Map<string, FleetDeviceStatus>();
  private readonly listeners = new Set<(status: FleetStatus) => void>();
  private readonly now: () => number;
  private readonly intervalMs: number;
  private readonly startedAt: number;
  private lastNotice = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly server: string,
    options: StatusBoardOptions = {},
  ) {
    this.now = options.now ?? (() => Date.now());
    this.intervalMs = options.notifyIntervalMs ?? 200;
    this.startedAt = this.now();
  }

  /** Adds a device (idle) unless it is there already. */
  add(controllerId: string, link: string): void {
    if (this.rows.has(controllerId)) return;
    this.rows.set(controllerId, { controllerId, link, phase: 'idle', updatedAt: this.now() });
    this.changed();
  }

  get(controllerId: string): FleetDeviceStatus | undefined {
    const row = this.rows.get(controllerId);
    return row === undefined ? undefined : copyRow(row);
  }

  update(controllerId: string, patch: FleetDevicePatch): void {
    const row = this.rows.get(controllerId);
    if (row === undefined) throw new RangeError(`no device "${controllerId}" on the status board`);
    const next: Record<string, unknown> = { ...row };
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) delete next[key];
      else next[key] = value;
    }
    next.updatedAt = this.now();
    this.rows.set(controllerId, next as unknown as FleetDeviceStatus);
    this.changed();
  }

  snapshot(): FleetStatus {
    return {
      server: this.server,
      startedAt: this.startedAt,
      devices: [...this.rows.values()].map(copyRow),
    };
  }

  /** Calls `listener` with a snapshot after changes (throttled); returns the unsubscribe function. */
  onStatus(listener: (status: FleetStatus) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Tells the listeners of any change not yet told, and stops the timer. */
  close(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.notify();
    }
    this.listeners.clear();
  }

  private changed(): void {
    if (this.listeners.size === 0 || this.timer !== undefined) return;
    const wait = this.lastNotice + this.intervalMs - this.now();
    if (wait <= 0) {
      this.notify();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.notify();
    }, wait);
  }

  private notify(): void {
    this.lastNotice = this.now();
    const status = this.snapshot();
    for (const listener of [...this.listeners]) listener(status);
  }
}

function copyRow(row: FleetDeviceStatus): FleetDeviceStatus {
  return {
    ...row,
    ...(row.target ? { target: { ...row.target } } : {}),
    ...(row.progress ? { progress: { ...row.progress } } : {}),
    ...(row.lastFeedback ? { lastFeedback: structuredClone(row.lastFeedback) } : {}),
  };
}
