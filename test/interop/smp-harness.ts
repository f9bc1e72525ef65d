/**
 * What the SMP interop suites share: a virtual board reachable the way smpmgr and smpclient
 * expect it (they always talk UDP to port 1337, so each sim gets its own loopback address),
 * runners for the peer tools, and readers for their output.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type SimHandle, startSim } from '../../src/device/io/sim-host.ts';
import type { BootResult } from '../../src/device/mcuboot/boot.ts';
import { parseImage, toHex } from '../../src/image/index.ts';
import { peerTool } from './peers.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BINARY_ONE = join(ROOT, 'build', 'firmware', 'blinky-one', 'zephyr.signed.bin');
export const BINARY_TWO = join(ROOT, 'build', 'firmware', 'blinky-two', 'zephyr.signed.bin');
const SMPCLIENT_OPS = join(import.meta.dirname, 'py', 'smpclient_ops.py');
const TOOLKIT_OPS = join(import.meta.dirname, 'py', 'toolkit_ops.py');

/** The UDP port smpmgr and smpclient always use (neither lets the caller choose another). */
export const SMP_UDP_PORT = 1337;

/** How a peer reaches the board: its serial port (the PTY) or its UDP host. */
export type PeerLink = { serial: string } | { udp: string };

/** smpclient's own BLE host stack (Bumble) on an HCI controller (`serial:PTY`), to a name. */
export interface BleLink {
  ble: { hci: string; name: string; mtu?: number };
}

export interface InteropSim {
  readonly handle: SimHandle;
  readonly serial: PeerLink;
  readonly udp: PeerLink;
}

/**
 * Starts a board (stm32f4_disco unless named) with its UDP endpoint on 127.a.b.c:1337, a loopback
 * address of its own.
 */
export async function startInteropSim(baud = 0, board?: string): Promise<InteropSim> {
  for (let attempt = 0; ; attempt++) {
    const host = `127.${1 + (process.pid % 250)}.${randomByte()}.${1 + randomByte()}`;
    try {
      const handle = await startSim({ udp: `${host}:${SMP_UDP_PORT}`, baud, ...(board ? { board } : {}) });
      return { handle, serial: { serial: handle.ptyPath }, udp: { udp: host } };
    } catch (error) {
      if (attempt >= 5 || !/EADDRINUSE/.test(String(error))) throw error;
    }
  }
}

function randomByte(): number {
  return Math.floor(Math.random() * 250);
}

/** Resolves with the next boot of the board (MCUboot done, app running or halted). */
export function nextBoot(handle: SimHandle): Promise<BootResult> {
  return new Promise((resolve) => {
    const stop = handle.device.onBoot((result) => {
      stop();
      resolve(result);
    });
  });
}

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; never rejects on a non-zero exit (the caller checks `code`). */
export function runProcess(
  file: string,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        // Plain, wide output from rich/typer, so reprs are not wrapped or coloured.
        env: { ...process.env, NO_COLOR: '1', TERM: 'dumb', COLUMNS: '200', PYTHONUNBUFFERED: '1' },
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`${file} ${args.join(' ')} did not finish: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/** smpmgr's transport flags for a link. */
export function smpmgrLinkArgs(link: PeerLink): string[] {
  return 'serial' in link ? ['--port', link.serial] : ['--ip', link.udp];
}

/** Runs the real smpmgr CLI against the board; throws with its output when it exits non-zero. */
export async function smpmgr(link: PeerLink, args: readonly string[]): Promise<string> {
  const result = await runProcess(peerTool('smpmgr'), [...smpmgrLinkArgs(link), '--timeout', '5', ...args]);
  const output = `${result.stdout}${result.stderr}`;
  if (result.code !== 0) throw new Error(`smpmgr ${args.join(' ')} exited ${result.code}:\n${output}`);
  return output;
}

/** One image slot as a Python peer decodes it (hash as lowercase hex). */
export interface PeerImageState {
  image: number | null;
  slot: number;
  version: string;
  hash: string | null;
  bootable: boolean | null;
  pending: boolean | null;
  confirmed: boolean | null;
  active: boolean | null;
  permanent: boolean | null;
}

export type PeerOpResult =
  | { op: 'link'; mtu: number; max_unencoded_size: number }
  | { op: 'echo'; r: string; seconds?: number }
  | { op: 'params'; buf_size: number; buf_count: number }
  | { op: 'state' | 'test' | 'confirm'; images: PeerImageState[] }
  | { op: 'reset' }
  | {
      op: 'upload';
      size: number;
      requests?: number;
      final_off: number;
      match?: boolean | null;
      seconds: number;
    }
  | { op: 'update' | 'update-confirm'; steps: string[] }
  | { op: string; error: string; rc?: number; group?: number };

/** Runs test/interop/py/smpclient_ops.py (intercreate smpclient's async API) and parses its lines. */
export function smpclientOps(link: PeerLink | BleLink, ops: readonly string[]): Promise<PeerOpResult[]> {
  return runOpsScript('smpclient', SMPCLIENT_OPS, smpclientLinkArgs(link), ops);
}

function smpclientLinkArgs(link: PeerLink | BleLink): string[] {
  if ('serial' in link) return ['--serial', link.serial];
  if ('udp' in link) return ['--udp', link.udp];
  const { hci, name, mtu } = link.ble;
  return ['--transport', 'ble', '--hci', hci, '--name', name, ...(mtu ? ['--mtu', String(mtu)] : [])];
}

/** Runs test/interop/py/toolkit_ops.py (Finomnis' mcumgr-toolkit Python API); same JSON lines. */
export function toolkitOps(link: PeerLink, ops: readonly string[]): Promise<PeerOpResult[]> {
  const linkArgs = 'serial' in link ? ['--serial', link.serial] : ['--udp', `${link.udp}:${SMP_UDP_PORT}`];
  return runOpsScript('mcumgr-toolkit', TOOLKIT_OPS, linkArgs, ops);
}

async function runOpsScript(
  tool: string,
  script: string,
  linkArgs: readonly string[],
  ops: readonly string[],
): Promise<PeerOpResult[]> {
  const result = await runProcess(peerTool('python'), [script, ...linkArgs, ...ops]);
  const lines = result.stdout.split('\n').filter((line) => line.startsWith('{'));
  if (result.code !== 0 && lines.length === 0) {
    throw new Error(`${tool} ${ops.join(' ')} exited ${result.code}:\n${result.stdout}${result.stderr}`);
  }
  return lines.map((line) => JSON.parse(line) as PeerOpResult);
}

/** The image states of one smpclient `state` run. */
export async function readStates(link: PeerLink): Promise<PeerImageState[]> {
  const [result] = await smpclientOps(link, ['state']);
  if (!result || !('images' in result)) throw new Error(`state read failed: ${JSON.stringify(result)}`);
  return result.images;
}

/** Slot, version and flags only: what the user's story checks. */
export function slotSummary(images: readonly PeerImageState[]): string[] {
  return images.map((image) => {
    const flags = (['active', 'confirmed', 'pending', 'permanent'] as const).filter((flag) => image[flag]);
    return `slot ${image.slot} ${image.version}${flags.length ? ` ${flags.join(' ')}` : ''}`;
  });
}

/** The fields of each `ImageState(...)` repr that smpmgr prints for `image state-read`. */
export function parseImageStateReprs(text: string): Array<Record<string, string>> {
  return text
    .split('ImageState(')
    .slice(1)
    .map((block) => {
      const fields: Record<string, string> = {};
      const field =
        /(\w+)=(?:'([^']*)'|HashBytes\(\s*'([0-9A-Fa-f]+)'\s*\)|b'[^']*'|(True|False|None|-?\d+))/g;
      for (const match of block.matchAll(field)) {
        fields[match[1]!] = match[2] ?? match[3]?.toLowerCase() ?? match[4] ?? '';
      }
      return fields;
    });
}

/** The IMAGE_TLV_SHA256 of a signed image file: the hash mcumgr lists and tests by. */
export function imageHash(path: string): string {
  const hash = parseImage(new Uint8Array(readFileSync(path))).sha256Hash;
  if (!hash) throw new Error(`${path} has no SHA256 TLV`);
  return toHex(hash);
}
