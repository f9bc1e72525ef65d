/**
 * The fleet-status stream of `zdfu serve` (as `zdfu gateway --dashboard` runs it): how a gateway's
 * FleetStatus (src/fleet/status.ts) travels to a page. Pure: no Node imports; the serve's feed
 * (./fleet-feed.ts) encodes, the page (src/transport/web/websocket.ts, subscribeServeFleet) decodes.
 *
 * After the hello (./protocol.ts) the page asks once:
 *   page → serve  {"type":"fleet"}
 * and from then on the socket carries fleet updates only:
 *   serve → page  {"type":"fleet","seq":N,"reset":bool,"last":bool,"server":…,"startedAt":…,
 *                  "total":…,"devices":[…],"removed":[…]}
 * An update is one or more such messages with the same `seq` (each within SERVE_MAX_MESSAGE_BYTES);
 * the page applies it when `last` is set, so it never shows half an update. The first update is a
 * whole snapshot (`reset`: forget every device held before); later ones carry only the devices that
 * changed and the ids of those that left. Updates are throttled (at most one per interval) and
 * coalesced: a page that reads slowly gets fewer, larger updates, never a growing queue, and since
 * each update is the difference to what that page was last sent, nothing is lost by skipping.
 *
 * Bounded: at most MAX_FLEET_DEVICES devices are sent (`total` says how many the gateway has), and
 * every text of a device is cut to a bound before sending, so one device always fits in a message.
 */
import * as z from 'zod/mini';
import { DDI_EXECUTIONS, DDI_FINISHED } from '../fleet/ddi/types.ts';
import { DEVICE_PHASES, type DevicePhase } from '../fleet/status.ts';

export { DEVICE_PHASES, type DevicePhase };

/** Most devices a page is sent: a bigger fleet shows its first devices and says how many there are. */
export const MAX_FLEET_DEVICES = 10_000;
/** Longest id (hawkBit allows controller ids of up to 256 characters). */
export const MAX_FLEET_ID = 256;
/** Longest short text (link, board, version, action id, target name). */
export const MAX_FLEET_SHORT_TEXT = 256;
/** Longest long text (an error, one feedback detail line). */
export const MAX_FLEET_TEXT = 1000;
/** Most feedback detail lines sent per device (the first ones). */
export const MAX_FLEET_DETAILS = 8;
/** Most devices (or removed ids) in one message. */
export const MAX_FLEET_PER_MESSAGE = 2000;

const id = z.string().check(z.minLength(1), z.maxLength(MAX_FLEET_ID));
const short = z.string().check(z.maxLength(MAX_FLEET_SHORT_TEXT));
const long = z.string().check(z.maxLength(MAX_FLEET_TEXT));
const count = z.int().check(z.nonnegative());
const time = z.number().check(z.nonnegative());

const feedback = z.strictObject({
  execution: z.enum(DDI_EXECUTIONS),
  finished: z.enum(DDI_FINISHED),
  details: z.optional(z.array(long).check(z.maxLength(MAX_FLEET_DETAILS))),
  progress: z.optional(z.strictObject({ cnt: count, of: count })),
});

const fleetDevice = z.strictObject({
  controllerId: id,
  /** How the gateway reaches it: "udp 127.0.0.1:1337", "sim #12". */
  link: short,
  board: z.optional(short),
  /** The running image's version. */
  version: z.optional(short),
  confirmed: z.optional(z.boolean()),
  phase: z.enum(DEVICE_PHASES as readonly [DevicePhase, ...DevicePhase[]]),
  actionId: z.optional(short),
  target: z.optional(z.strictObject({ name: short, version: short })),
  progress: z.optional(z.strictObject({ sent: count, total: count })),
  lastFeedback: z.optional(feedback),
  error: z.optional(long),
  /** ms since the epoch, the gateway's clock. */
  updatedAt: time,
});

/** One device as the page sees it: FleetDeviceStatus (src/fleet/status.ts) with bounded texts. */
export type FleetDevice = z.infer<typeof fleetDevice>;
export type FleetFeedback = z.infer<typeof feedback>;

export const fleetClientMessage = z.strictObject({ type: z.literal('fleet') });

export const fleetServerMessage = z.strictObject({
  type: z.literal('fleet'),
  /** The update this message belongs to: 1 for the first, one more for each later one. */
  seq: z.int().check(z.positive()),
  /** First message of a whole snapshot: forget every device held before. */
  reset: z.boolean(),
  /** Last message of this update: apply it now. */
  last: z.boolean(),
  /** The hawkBit server the gateway polls (FleetStatus.server). */
  server: short,
  /** When the gateway started, ms since the epoch. */
  startedAt: time,
  /** How many devices the gateway has (may exceed what is sent: MAX_FLEET_DEVICES). */
  total: count,
  devices: z.array(fleetDevice).check(z.maxLength(MAX_FLEET_PER_MESSAGE)),
  removed: z.array(id).check(z.maxLength(MAX_FLEET_PER_MESSAGE)),
});

export type FleetClientMessage = z.infer<typeof fleetClientMessage>;
export type FleetServerMessage = z.infer<typeof fleetServerMessage>;

/** What a page holds after an update: the gateway's fleet, in the gateway's order. */
export interface FleetSnapshot {
  readonly server: string;
  readonly startedAt: number;
  readonly total: number;
  readonly devices: readonly FleetDevice[];
  /** The update's number (1, 2, …). */
  readonly seq: number;
}

/** An update that breaks the stream's rules (out of order, a delta before any snapshot). */
export class FleetStreamError extends Error {
  override readonly name = 'FleetStreamError';
}

/**
 * The page's copy of the gateway's fleet, built from the stream's messages. `apply` returns the
 * new snapshot when a message ends an update, else undefined.
 */
export class FleetMirror {
  private current = new Map<string, FleetDevice>();
  private next: Map<string, FleetDevice> | undefined;
  private seq = 0;

  apply(message: FleetServerMessage): FleetSnapshot | undefined {
    if (this.next === undefined) {
      if (message.seq !== this.seq + 1) {
        throw new FleetStreamError(
          `fleet update ${message.seq} came after update ${this.seq}: updates were lost or reordered`,
        );
      }
      if (this.seq === 0 && !message.reset) {
        throw new FleetStreamError('the first fleet update is not a whole snapshot');
      }
      this.seq = message.seq;
      this.next = message.reset ? new Map() : new Map(this.current);
    } else if (message.seq !== this.seq) {
      throw new FleetStreamError(
        `fleet update ${message.seq} began before update ${this.seq} ended: its parts were lost`,
      );
    } else if (message.reset) {
      throw new FleetStreamError(`fleet update ${message.seq} asked for a reset in its middle`);
    }
    for (const id of message.removed) this.next.delete(id);
    for (const device of message.devices) this.next.set(device.controllerId, device);
    if (!message.last) return undefined;
    this.current = this.next;
    this.next = undefined;
    return {
      server: message.server,
      startedAt: message.startedAt,
      total: message.total,
      devices: [...this.current.values()],
      seq: this.seq,
    };
  }
}

/**
 * The shape of a gateway's status the differ reads: src/fleet/status.ts's FleetStatus read-only
 * (./fleet-feed.ts's default type argument checks that it fits), so a read-only copy fits too.
 */
export interface FleetStatusLike {
  readonly server: string;
  readonly startedAt: number;
  readonly devices: readonly FleetDeviceLike[];
}

/** A device as src/fleet/status.ts has it; texts of any length, fields beyond these ignored. */
export interface FleetDeviceLike {
  readonly controllerId: string;
  readonly link: string;
  readonly board?: string | undefined;
  readonly version?: string | undefined;
  readonly confirmed?: boolean | undefined;
  readonly phase: DevicePhase;
  readonly actionId?: string | undefined;
  readonly target?: { readonly name: string; readonly version: string } | undefined;
  readonly progress?: { readonly sent: number; readonly total: number } | undefined;
  readonly lastFeedback?:
    | {
        readonly execution: FleetFeedback['execution'];
        readonly finished: FleetFeedback['finished'];
        readonly details?: readonly string[] | undefined;
        readonly progress?: { readonly cnt: number; readonly of: number } | undefined;
      }
    | undefined;
  readonly error?: string | undefined;
  readonly updatedAt: number;
}

/** A device cut to the wire's bounds: known fields only, long texts shortened with an ellipsis. */
export function toWireDevice(device: FleetDeviceLike): FleetDevice {
  const out: FleetDevice = {
    controllerId: cut(device.controllerId, MAX_FLEET_ID) || '?',
    link: cut(device.link, MAX_FLEET_SHORT_TEXT),
    phase: device.phase,
    updatedAt: wholeNonNegative(device.updatedAt),
  };
  if (device.board !== undefined) out.board = cut(device.board, MAX_FLEET_SHORT_TEXT);
  if (device.version !== undefined) out.version = cut(device.version, MAX_FLEET_SHORT_TEXT);
  if (device.confirmed !== undefined) out.confirmed = device.confirmed;
  if (device.actionId !== undefined) out.actionId = cut(device.actionId, MAX_FLEET_SHORT_TEXT);
  if (device.target !== undefined) {
    out.target = {
      name: cut(device.target.name, MAX_FLEET_SHORT_TEXT),
      version: cut(device.target.version, MAX_FLEET_SHORT_TEXT),
    };
  }
  if (device.progress !== undefined) {
    out.progress = {
      sent: wholeNonNegative(device.progress.sent),
      total: wholeNonNegative(device.progress.total),
    };
  }
  const fb = device.lastFeedback;
  if (fb !== undefined) {
    const wire: FleetFeedback = { execution: fb.execution, finished: fb.finished };
    // The first line is the headline ("installed: …", "refused signature: …"; the gateway's
    // feedback, src/fleet/gateway/outcome.ts), the rest its explanation.
    if (fb.details !== undefined) {
      wire.details = fb.details.slice(0, MAX_FLEET_DETAILS).map((line) => cut(line, MAX_FLEET_TEXT));
    }
    if (fb.progress !== undefined) {
      wire.progress = { cnt: wholeNonNegative(fb.progress.cnt), of: wholeNonNegative(fb.progress.of) };
    }
    out.lastFeedback = wire;
  }
  if (device.error !== undefined) out.error = cut(device.error, MAX_FLEET_TEXT);
  return out;
}

/** Room a message leaves for its devices and removed ids: the limit less the envelope. */
const ENVELOPE_BYTES = 1024;

/**
 * What one page was last sent, and the messages that bring it up to a new status: the whole
 * fleet the first time, then only what changed. Pure; one per subscribed page.
 */
export class FleetDiffer {
  /** controllerId → the JSON of the device as last sent to this page. */
  private sent = new Map<string, string>();
  private seq = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** The messages of the next update, or none when nothing changed since the last one. */
  diff(status: FleetStatusLike): FleetServerMessage[] {
    const first = this.seq === 0;
    const now = new Map<string, string>();
    const changed: { json: string; device: FleetDevice }[] = [];
    for (const device of status.devices) {
      if (now.size >= MAX_FLEET_DEVICES) break;
      const wire = toWireDevice(device);
      if (now.has(wire.controllerId)) continue;
      const json = JSON.stringify(wire);
      now.set(wire.controllerId, json);
      if (first || this.sent.get(wire.controllerId) !== json) changed.push({ json, device: wire });
    }
    const removed = first ? [] : [...this.sent.keys()].filter((key) => !now.has(key));
    if (!first && changed.length === 0 && removed.length === 0) return [];
    this.sent = now;
    this.seq++;
    const envelope = {
      type: 'fleet' as const,
      seq: this.seq,
      reset: false,
      last: false,
      server: cut(status.server, MAX_FLEET_SHORT_TEXT),
      startedAt: wholeNonNegative(status.startedAt),
      total: status.devices.length,
    };
    const messages: FleetServerMessage[] = [];
    const room = this.maxMessageBytes - ENVELOPE_BYTES - JSON.stringify(envelope).length;
    let devices: FleetDevice[] = [];
    let gone: string[] = [];
    let used = 0;
    const flush = () => {
      messages.push({ ...envelope, reset: first && messages.length === 0, devices, removed: gone });
      devices = [];
      gone = [];
      used = 0;
    };
    for (const key of removed) {
      const size = JSON.stringify(key).length + 1;
      if (used + size > room || gone.length >= MAX_FLEET_PER_MESSAGE) flush();
      gone.push(key);
      used += size;
    }
    for (const { json, device } of changed) {
      const size = json.length + 1;
      if (used + size > room || devices.length >= MAX_FLEET_PER_MESSAGE) flush();
      devices.push(device);
      used += size;
    }
    flush();
    const last = messages.at(-1);
    if (last) last.last = true;
    return messages;
  }
}

/** `text` cut to `max` characters, the cut marked with an ellipsis. */
function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function wholeNonNegative(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
