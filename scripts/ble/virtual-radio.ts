// Node handle of the virtual BLE radio (scripts/ble/virtual-radio.py): starts the launcher, waits for
// its readiness line, stops it by PID. Also asks it for the modelled link's ceiling, so that a
// benchmark compares against the very rules the radio applies. Bumble comes from the venv that
// scripts/ble/setup.sh installs under .cache/ble.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { packageRoot } from '../../src/device/io/artifacts.ts';

// The package root, not this file's folder: bundled into dist/bench.mjs this module has moved.
const root = packageRoot();
const launcher = join(root, 'scripts/ble/virtual-radio.py');
export const radioPython = join(root, '.cache/ble/venv/bin/python');

export interface AirOptions {
  /** Connection interval in ms: 7.5..4000 in 1.25 ms steps. */
  intervalMs: number;
  /** LL data PDUs each side may send per connection event; 0 = as many as fit. */
  maxPdusPerEvent?: number;
  /** The controllers' largest LL payload, 27..251. */
  dataLength: number;
  phy: '1M' | '2M';
}

export interface RadioOptions {
  /** PTY link paths, one per controller (two or more), inside a folder that exists. */
  ptys: string[];
  /** The air model; null delivers instantly (Bumble's own behaviour). */
  air: AirOptions | null;
  /** How long to wait for the readiness line (default 15 s). */
  readyTimeoutMs?: number;
}

export interface LinkCeiling {
  att_mtu: number;
  data_length: number;
  ll_pdus_per_att_pdu: number;
  att_pdus_per_event: number;
  /** Octets of ATT value (write-command or notification payload) per second, one way. */
  ceiling_bytes_per_s: number;
}

export interface RadioController {
  pty: string;
  public_address: string;
  random_address: string;
}

export interface ReadyLine {
  ready: true;
  pid: number;
  startup_ms: number;
  controllers: RadioController[];
  air: (Required<AirOptions> & { ceilings: LinkCeiling[] }) | null;
}

export interface VirtualRadio extends ReadyLine {
  /** Stops the launcher (SIGTERM, then SIGKILL after 5 s); resolves with its exit code once it has
   * exited (0 = clean, null = killed). */
  stop(): Promise<number | null>;
}

function airArgs(air: AirOptions): string[] {
  return [
    '--interval-ms',
    String(air.intervalMs),
    '--max-pdus-per-event',
    String(air.maxPdusPerEvent ?? 0),
    '--data-length',
    String(air.dataLength),
    '--phy',
    air.phy,
  ];
}

function requireVenv(): void {
  if (!existsSync(radioPython)) {
    throw new Error(`Bumble is not installed (no ${radioPython}): run 'bash scripts/ble/setup.sh' first`);
  }
}

/** The ceiling of one-way bulk transfer on the modelled link, for each ATT MTU. */
export async function linkCeilings(air: AirOptions, attMtus: number[]): Promise<LinkCeiling[]> {
  // --print-ceiling needs no Bumble, so any python3 will do when the venv is missing.
  const python = existsSync(radioPython) ? radioPython : 'python3';
  const args = [
    launcher,
    '--print-ceiling',
    ...airArgs(air),
    ...attMtus.flatMap((m) => ['--att-mtu', String(m)]),
  ];
  const { stdout } = await promisify(execFile)(python, args, { timeout: 10_000 });
  return (JSON.parse(stdout) as { ceilings: LinkCeiling[] }).ceilings;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

export async function startVirtualRadio(options: RadioOptions): Promise<VirtualRadio> {
  requireVenv();
  const args = [launcher, ...options.ptys, ...(options.air ? airArgs(options.air) : ['--no-air'])];
  const child = spawn(radioPython, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    // Keep the tail only: a long run logs warnings, and only the last lines explain a failure.
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout! });
  const timeoutMs = options.readyTimeoutMs ?? 15_000;
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) {
      const done = exited(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await done;
      clearTimeout(timer);
    }
    return child.exitCode;
  };
  try {
    const ready = await new Promise<ReadyLine>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`virtual radio not ready within ${timeoutMs} ms; its stderr: ${stderr.trim()}`)),
        timeoutMs,
      );
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`virtual radio did not start (${radioPython}): ${error.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(
            `virtual radio exited (${signal ?? `code ${code}`}) before it was ready: ${stderr.trim()}`,
          ),
        );
      });
      lines.once('line', (line) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as ReadyLine);
        } catch {
          reject(new Error(`virtual radio printed '${line}' instead of its readiness line`));
        }
      });
    });
    return { ...ready, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
