/**
 * The devices zdfu serve offers a page: the user's connection profiles (serial, UDP, BLE, as
 * `zdfu conn add` stored them), the serial ports the OS lists, and the virtual boards serve runs
 * itself (`--sim BOARD`, each on its PTY and its UDP port). Opening one uses zdfu's own Node
 * transports, so a page gets exactly what the CLI gets. A page can open only what list() offers:
 * never an arbitrary path. Node only.
 */
import type { ConnProfile } from '../cli/profiles.ts';
import type { SimHandle } from '../device/io/sim-host.ts';
import { formatHostPort } from '../transport/host-port.ts';
import type { ConnTarget } from '../transport/kinds/kind.ts';
import { openNodeTarget } from '../transport/kinds/node.ts';
import { parseConnString } from '../transport/kinds/registry.ts';
import { DEFAULT_BAUD_RATE } from '../transport/kinds/serial.ts';
import type { Transport } from '../transport/transport.ts';
import type { ServeErrorCode, ServeTarget } from './protocol.ts';

/** What the OS says about a serial port (serialport's PortInfo, the fields used here). */
export interface PortInfo {
  readonly path: string;
  readonly manufacturer?: string | undefined;
  readonly serialNumber?: string | undefined;
  readonly vendorId?: string | undefined;
  readonly productId?: string | undefined;
}

export interface TargetCatalogOptions {
  /** The user's profiles (a ProfileStore); read again at each list, as the user may add one. */
  readonly profiles?: { list(): ConnProfile[] };
  /** Virtual boards to offer (started by serve or by the caller). */
  readonly sims?: readonly SimHandle[];
  /** The OS's serial ports; default serialport's list. */
  readonly listPorts?: () => Promise<readonly PortInfo[]>;
  /** How a target is opened; default zdfu's Node transports. */
  readonly open?: (target: ConnTarget) => Promise<Transport>;
}

/** How long listing the OS's serial ports may take. */
const PORT_LIST_TIMEOUT_MS = 5000;

export class TargetError extends Error {
  override readonly name = 'TargetError';
  constructor(
    message: string,
    readonly code: ServeErrorCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface Entry {
  readonly target: ServeTarget;
  readonly conn: ConnTarget;
}

export class TargetCatalog {
  constructor(private readonly options: TargetCatalogOptions = {}) {}

  /** Every device on offer now. */
  async list(): Promise<ServeTarget[]> {
    return (await this.entries()).map((entry) => entry.target);
  }

  /** Opens a target that list() offers, or fails with a TargetError in words. */
  async open(id: string): Promise<{ target: ServeTarget; transport: Transport }> {
    const entry = (await this.entries()).find((e) => e.target.id === id);
    if (entry === undefined) {
      throw new TargetError(
        `zdfu serve offers no device "${id}": list the targets again (a port may have gone, a profile been deleted)`,
        'unknown-target',
      );
    }
    const open = this.options.open ?? openNodeTarget;
    try {
      return { target: entry.target, transport: await open(entry.conn) };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new TargetError(`cannot open ${entry.target.label}: ${why}`, 'open-failed', { cause: error });
    }
  }

  private async entries(): Promise<Entry[]> {
    const entries: Entry[] = [];
    const seen = new Set<string>();
    const add = (entry: Entry) => {
      if (seen.has(entry.target.id)) return;
      seen.add(entry.target.id);
      entries.push(entry);
    };
    for (const entry of this.simEntries()) add(entry);
    for (const entry of this.profileEntries()) add(entry);
    for (const entry of await this.portEntries()) add(entry);
    return entries;
  }

  private simEntries(): Entry[] {
    const entries: Entry[] = [];
    const counts = new Map<string, number>();
    for (const sim of this.options.sims ?? []) {
      const board = sim.device.board.name;
      const n = (counts.get(board) ?? 0) + 1;
      counts.set(board, n);
      const name = n === 1 ? board : `${board}-${n}`;
      if (sim.udp) {
        entries.push({
          target: {
            id: `sim:${name}/udp`,
            kind: 'udp',
            source: 'sim',
            label: `virtual ${name} (UDP)`,
            detail: `udp ${formatHostPort(sim.udp)}`,
          },
          conn: { type: 'udp', host: sim.udp.host, port: sim.udp.port },
        });
      }
      entries.push({
        target: {
          id: `sim:${name}/serial`,
          kind: 'serial',
          source: 'sim',
          label: `virtual ${name} (serial)`,
          detail: `serial ${sim.ptyLink ?? sim.ptyPath}`,
        },
        conn: { type: 'serial', path: sim.ptyPath, baudRate: DEFAULT_BAUD_RATE },
      });
    }
    return entries;
  }

  /** Profiles that parse; a broken one is left out (`zdfu conn list` says what is wrong with it). */
  private profileEntries(): Entry[] {
    const entries: Entry[] = [];
    let profiles: ConnProfile[];
    try {
      profiles = this.options.profiles?.list() ?? [];
    } catch {
      // An unreadable profile file must not hide the ports and boards; the CLI warned at start.
      return [];
    }
    for (const profile of profiles) {
      let conn: ConnTarget;
      try {
        conn = parseConnString(profile.type, profile.connstring);
      } catch {
        continue;
      }
      entries.push({
        target: {
          id: `profile:${profile.name}`,
          kind: profile.type,
          source: 'profile',
          label: profile.name,
          detail: `${profile.type} ${profile.connstring}`,
        },
        conn,
      });
    }
    return entries;
  }

  private async portEntries(): Promise<Entry[]> {
    let ports: readonly PortInfo[];
    try {
      ports = await withTimeout((this.options.listPorts ?? listSerialPorts)(), PORT_LIST_TIMEOUT_MS);
    } catch {
      // No serial support here (a missing native binding) or a slow OS: offer the rest.
      return [];
    }
    return ports.map((port) => ({
      target: {
        id: `port:${port.path}`,
        kind: 'serial',
        source: 'port',
        label: port.path,
        detail: describePort(port),
      },
      conn: { type: 'serial', path: port.path, baudRate: DEFAULT_BAUD_RATE },
    }));
  }
}

function describePort(port: PortInfo): string {
  const usb = port.vendorId && port.productId ? `USB ${port.vendorId}:${port.productId}` : '';
  return [port.manufacturer, usb, port.serialNumber ? `serial number ${port.serialNumber}` : '']
    .filter((part) => part !== undefined && part !== '')
    .join(', ');
}

async function listSerialPorts(): Promise<readonly PortInfo[]> {
  const { SerialPort } = await import('serialport');
  return SerialPort.list();
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
