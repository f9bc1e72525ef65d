/** The gateway's public shapes: the devices it speaks for, its options, and its handle. */
import type { Transport } from '../../transport/transport.ts';
import type { DdiClientOptions } from '../ddi/client.ts';
import type { FleetStatus } from '../status.ts';

/** One device the gateway speaks for, as its own hawkBit controller. */
export interface GatewayDevice {
  /** Its controller id in hawkBit. */
  controllerId: string;
  /** How it is reached, for people: "udp 127.0.0.1:1337", "serial /dev/ttyACM0", "sim #12". */
  describe: string;
  /** Opens a new SMP link to it; the gateway closes it after each job. */
  open(): Promise<Transport>;
  /** Its own DDI target token; when set, this device polls with it instead of `ddi.auth`. */
  token?: string;
}

/** How the dfu flow runs on each device (defaults as `zdfu dfu`). */
export interface GatewayDfuOptions {
  /** How long the new image must keep running before it is confirmed (default 5 s). */
  settleMs?: number;
  /** How long to wait for the device after the reset (default 60 s). */
  rebootTimeoutMs?: number;
  /** Between polls while the device reboots and settles (default 500 ms). */
  pollIntervalMs?: number;
  /** How long one such poll waits (default 2 s). */
  pollTimeoutMs?: number;
  /** Per SMP request (default 10 s, as mcumgr). */
  requestTimeoutMs?: number;
  /** How long opening a link may take (default 30 s: a BLE scan and connect). */
  openTimeoutMs?: number;
}

export interface GatewayOptions {
  ddi: DdiClientOptions;
  devices: readonly GatewayDevice[];
  /** How many devices update at once (default 4). */
  parallel?: number;
  /** The journal: where the gateway keeps updates under way across restarts (none: memory only). */
  stateFile?: string;
  /** The shortest time between two polls of one controller, whatever hawkBit asks (default 1 s). */
  pollFloorMs?: number;
  /** Aborting it closes the gateway. */
  signal?: AbortSignal;
  /** One line per event worth telling a person (an update started, ended, a poll refused). */
  log?: (line: string) => void;
  dfu?: GatewayDfuOptions;
  /** The shortest time between two "proceeding" progress feedbacks of one action (default 5 s). */
  progressIntervalMs?: number;
  /** Bytes of downloaded artifacts kept for the next device (default 64 MiB). */
  cacheBytes?: number;
  /** Status listeners hear at most one notice per this many ms (default 200). */
  notifyIntervalMs?: number;
}

export interface Gateway {
  status(): FleetStatus;
  onStatus(listener: (status: FleetStatus) => void): () => void;
  /** How many artifact downloads the gateway started (one per distribution while cached). */
  readonly downloads: number;
  /**
   * Stops polling and any update under way, without telling hawkBit anything: the journal keeps
   * each update's stage, so a gateway started again with the same state file resumes it.
   */
  close(): Promise<void>;
}

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly fault: 'local' | 'no-answer';
  constructor(message: string, options: { cause?: unknown; fault?: 'local' | 'no-answer' } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.fault = options.fault ?? 'local';
  }
}
