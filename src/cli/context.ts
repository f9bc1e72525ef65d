/**
 * What every command implementation gets: where to write, the environment, the global options
 * (-c/--conntype/--connstring/-t/-r/--json) and a way to reach the device. Commands never touch
 * process.* directly, so the demo and tests run them in-process.
 */

import type { CallOptions, DeviceClient, TransportOpener } from '../client/device.ts';
import { ConnStringError, type ConnTarget, type ConnType } from '../transport/kinds/kind.ts';
import { connTypeList, parseConnString, parseConnType } from '../transport/kinds/registry.ts';
import { CliError } from './errors.ts';
import { formatJson } from './format.ts';
import { checkSerialPath, explainOpenFailure, withLinkAdvice } from './link-hints.ts';
import { ProfileStore, zdfuHome } from './profiles.ts';

export interface OutputStream {
  write(text: string): unknown;
}

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** Environment (ZDFU_HOME, ZDFU_DEBUG); defaults to an empty one. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How to open a link; defaults to the registered kinds' Node openers. The demo may inject its own. */
  readonly openTransport?: TransportOpener;
  /** Cancels a running command (e.g. an upload) when aborted. */
  readonly signal?: AbortSignal;
}

export interface GlobalOptions {
  conn?: string;
  conntype?: string;
  connstring?: string;
  timeout?: number;
  tries?: number;
  json?: boolean;
}

/** mcumgr's default: 10 s per request. */
export const DEFAULT_TIMEOUT_SECONDS = 10;
/** Idempotent commands get one retry after a timeout unless -r says otherwise. */
export const DEFAULT_TRIES = 2;

export class CliContext {
  readonly profiles: ProfileStore;

  constructor(
    readonly io: CliIo,
    readonly globals: GlobalOptions,
    private readonly openTransport: TransportOpener,
  ) {
    this.profiles = new ProfileStore(zdfuHome(io.env ?? {}));
  }

  get json(): boolean {
    return this.globals.json === true;
  }

  /** Writes one command's result: JSON document with --json, else the mcumgr-style text. */
  emit(jsonValue: unknown, text: string): void {
    this.io.stdout.write(this.json ? formatJson(jsonValue) : text);
  }

  /** Per-request options from -t/-r. */
  callOptions(): CallOptions {
    const options: CallOptions = {
      timeoutMs: (this.globals.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
      retries: (this.globals.tries ?? DEFAULT_TRIES) - 1,
    };
    if (this.io.signal !== undefined) options.signal = this.io.signal;
    return options;
  }

  /** The link target chosen by -c and/or --conntype/--connstring. */
  target(): ConnTarget {
    const { conn, conntype, connstring } = this.globals;
    if (conn !== undefined) {
      const profile = this.profiles.get(conn);
      const type: ConnType = conntype !== undefined ? parseConnType(conntype) : profile.type;
      if (connstring !== undefined) return parseConnString(type, connstring);
      try {
        return parseConnString(type, profile.connstring);
      } catch (err) {
        if (!(err instanceof ConnStringError)) throw err;
        throw this.profiles.repairError(conn, 'connstring', err.message);
      }
    }
    if (conntype === undefined && connstring === undefined) {
      throw new CliError(
        'No connection given; use -c PROFILE (see `zdfu conn add`) or --conntype TYPE --connstring STRING.',
      );
    }
    if (conntype === undefined) throw new CliError(`--connstring needs --conntype (${connTypeList()}).`);
    if (connstring === undefined) throw new CliError('--conntype needs --connstring.');
    return parseConnString(parseConnType(conntype), connstring);
  }

  /** Opens the device, runs `work`, and always closes the link. */
  async withDevice<T>(work: (device: DeviceClient) => Promise<T>): Promise<T> {
    const target = this.target();
    const options = this.callOptions();
    const deviceOptions: { timeoutMs?: number; retries?: number } = {};
    if (options.timeoutMs !== undefined) deviceOptions.timeoutMs = options.timeoutMs;
    if (options.retries !== undefined) deviceOptions.retries = options.retries;
    // Loaded on first use, so commands that never talk to a device start faster.
    const { DeviceClient } = await import('../client/device.ts');
    if (target.type === 'serial') checkSerialPath(target.path);
    let device: DeviceClient;
    try {
      device = await DeviceClient.connect(target, this.openTransport, deviceOptions);
    } catch (err) {
      throw explainOpenFailure(err, target);
    }
    try {
      return await work(device);
    } catch (err) {
      throw withLinkAdvice(err, target);
    } finally {
      await device.close();
    }
  }
}
