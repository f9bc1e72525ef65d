/**
 * The Fleet view's table logic: counts per phase, filtering, sorting, and each device's state in
 * words (phase, progress, hawkBit's last feedback). Pure; the view (../views/fleet-view.tsx) only
 * draws what this returns. Fast enough to rerun on every update of a 10,000-device fleet.
 */
import { DEVICE_PHASES, type DevicePhase, type FleetDevice } from '../../serve/fleet-protocol.ts';

export type { DevicePhase, FleetDevice };
export { DEVICE_PHASES };

/** Phases in words for the table and the counts. */
export const PHASE_LABELS: Readonly<Record<DevicePhase, string>> = {
  idle: 'Idle',
  polling: 'Polling',
  queued: 'Queued',
  downloading: 'Downloading',
  uploading: 'Uploading',
  testing: 'Testing',
  resetting: 'Resetting',
  confirming: 'Confirming',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
  gone: 'Gone',
};

/** How a phase reads at a glance: working, finished well, finished badly, or quiet. */
export type PhaseTone = 'busy' | 'good' | 'bad' | 'quiet';

export function phaseTone(phase: DevicePhase): PhaseTone {
  switch (phase) {
    case 'done':
      return 'good';
    case 'failed':
    case 'gone':
      return 'bad';
    case 'idle':
    case 'polling':
    case 'queued':
    case 'cancelled':
      return 'quiet';
    default:
      return 'busy';
  }
}

export type PhaseCounts = Readonly<Record<DevicePhase, number>>;

export function phaseCounts(devices: readonly FleetDevice[]): PhaseCounts {
  const counts = Object.fromEntries(DEVICE_PHASES.map((p) => [p, 0])) as Record<DevicePhase, number>;
  for (const device of devices) counts[device.phase]++;
  return counts;
}

export const SORT_KEYS = [
  'controllerId',
  'link',
  'board',
  'version',
  'phase',
  'progress',
  'updatedAt',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDirection = 'ascending' | 'descending';

export const SORT_LABELS: Readonly<Record<SortKey, string>> = {
  controllerId: 'Controller id',
  link: 'Link',
  board: 'Board',
  version: 'Version',
  phase: 'Phase',
  progress: 'Progress',
  updatedAt: 'Last change',
};

export interface FleetFilter {
  /** Words the row must contain (any field, case-insensitive); empty matches all. */
  readonly text: string;
  /** Only this phase; undefined for all. */
  readonly phase: DevicePhase | undefined;
}

export function filterDevices(devices: readonly FleetDevice[], filter: FleetFilter): FleetDevice[] {
  const words = filter.text.toLowerCase().split(/\s+/).filter(Boolean);
  return devices.filter((device) => {
    if (filter.phase !== undefined && device.phase !== filter.phase) return false;
    if (words.length === 0) return true;
    const haystack = searchText(device);
    return words.every((word) => haystack.includes(word));
  });
}

/** Everything a person might type to find a device, lower-cased, in one string. */
function searchText(device: FleetDevice): string {
  return [
    device.controllerId,
    device.link,
    device.board ?? '',
    device.version ?? '',
    PHASE_LABELS[device.phase],
    device.target ? `${device.target.name} ${device.target.version}` : '',
    feedbackWords(device) ?? '',
    device.error ?? '',
  ]
    .join('\n')
    .toLowerCase();
}

/** A sorted copy; ties keep the gateway's order. */
export function sortDevices(
  devices: readonly FleetDevice[],
  key: SortKey,
  direction: SortDirection,
): FleetDevice[] {
  const sign = direction === 'ascending' ? 1 : -1;
  const compare = COMPARE[key];
  return devices
    .map((device, index) => ({ device, index }))
    .sort((a, b) => sign * compare(a.device, b.device) || a.index - b.index)
    .map((entry) => entry.device);
}

const PHASE_ORDER = new Map(DEVICE_PHASES.map((phase, index) => [phase, index]));
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

const COMPARE: Readonly<Record<SortKey, (a: FleetDevice, b: FleetDevice) => number>> = {
  controllerId: (a, b) => collator.compare(a.controllerId, b.controllerId),
  link: (a, b) => collator.compare(a.link, b.link),
  board: (a, b) => collator.compare(a.board ?? '', b.board ?? ''),
  // The numeric collation orders 1.10.0 after 1.9.0, as versions go.
  version: (a, b) => collator.compare(a.version ?? '', b.version ?? ''),
  phase: (a, b) => (PHASE_ORDER.get(a.phase) ?? 0) - (PHASE_ORDER.get(b.phase) ?? 0),
  progress: (a, b) => (progressFraction(a) ?? -1) - (progressFraction(b) ?? -1),
  updatedAt: (a, b) => a.updatedAt - b.updatedAt,
};

/** How far the device's update is, 0…1, or undefined when it has none. */
export function progressFraction(device: FleetDevice): number | undefined {
  if (device.phase === 'done') return 1;
  const progress = device.progress;
  if (progress === undefined || progress.total <= 0) return undefined;
  return Math.min(1, progress.sent / progress.total);
}

/** The progress as a person reads it: "37 %", "done", or "" when there is none. */
export function progressText(device: FleetDevice): string {
  const fraction = progressFraction(device);
  if (fraction === undefined) return '';
  return `${Math.floor(fraction * 100)} %`;
}

const EXECUTION_WORDS: Readonly<Record<string, string>> = {
  closed: 'Closed',
  proceeding: 'In progress',
  canceled: 'Cancelled',
  scheduled: 'Scheduled',
  rejected: 'Rejected',
  resumed: 'Resumed',
  downloaded: 'Downloaded',
  download: 'Downloading',
};

/**
 * hawkBit's last feedback for this device in words: "Closed: success — running 2.0.0, confirmed",
 * "In progress (3 of 5) — uploading 40 %", or undefined when none was sent.
 */
export function feedbackWords(device: FleetDevice): string | undefined {
  const fb = device.lastFeedback;
  if (fb === undefined) return undefined;
  let words = EXECUTION_WORDS[fb.execution] ?? fb.execution;
  if (fb.finished === 'success') words += ': success';
  else if (fb.finished === 'failure') words += ': failure';
  if (fb.progress !== undefined && fb.progress.of > 0) words += ` (${fb.progress.cnt} of ${fb.progress.of})`;
  // The first line is the headline; the details view shows the rest.
  const detail = fb.details?.[0];
  return detail ? `${words} — ${detail}` : words;
}

/** The running image as one short phrase: "2.0.0", "2.0.0 (unconfirmed)", "" when unknown. */
export function versionText(device: FleetDevice): string {
  if (device.version === undefined) return '';
  return device.confirmed === false ? `${device.version} (unconfirmed)` : device.version;
}

/** The line under the table: "Showing 12 of 1,000 devices". */
export function shownText(shown: number, held: number, total: number): string {
  const n = (value: number) => value.toLocaleString('en');
  const of =
    shown === held ? `${n(held)} device${held === 1 ? '' : 's'}` : `${n(shown)} of ${n(held)} devices`;
  return total > held ? `${of} (the gateway has ${n(total)}; the first ${n(held)} are shown)` : of;
}
