/**
 * What several benchmarks do alike: write an image signed with the repository's development key
 * around a payload (header 0x200, as the blinky builds), run one `zdfu --json ...` process and
 * read its JSON answer, time one whole tool process, check the toolkit is installed, start a virtual
 * board on a PTY and a loopback address of its own, and name it to zdfu.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Board as BoardData } from '../src/device/boards/board.ts';
import { packageRoot } from '../src/device/io/artifacts.ts';
import { type SimHandle, startSim } from '../src/device/io/sim-host.ts';
import { loadSigningKey, signImage } from '../src/image/index.ts';

/** Header 0x200 and ~0x150 of TLVs (hash, RSA-2048 signature) around a payload. */
export const SIGNED_OVERHEAD = 0x200 + 0x150;

/** `length` random bytes (an application's code compresses no better). */
export function randomPayload(length: number): Uint8Array {
  const payload = new Uint8Array(length);
  for (let offset = 0; offset < payload.length; offset += 65536) {
    globalThis.crypto.getRandomValues(payload.subarray(offset, offset + 65536));
  }
  return payload;
}

/** Signs `payload` with keys/dev-rsa-2048.pem for a slot of `slotSize` and writes `dir/NAME.signed.bin`. */
export async function writeDevSignedImage(
  dir: string,
  name: string,
  payload: Uint8Array,
  options: { slotSize: number; version: string },
): Promise<{ path: string; bytes: number }> {
  const key = await loadSigningKey(readFileSync(join(packageRoot(), 'keys', 'dev-rsa-2048.pem'), 'utf8'));
  const signed = await signImage(payload, { key, headerSize: 0x200, padHeader: true, ...options });
  const path = join(dir, `${name}.signed.bin`);
  writeFileSync(path, signed);
  return { path, bytes: signed.length };
}

/** One `zdfu ARGS` process (args include --json) with its own ZDFU_HOME; its JSON document. */
export function runZdfuJson<T>(args: readonly string[], home: string, timeoutMs: number): Promise<T> {
  const argv = [join(packageRoot(), 'dist', 'zdfu.mjs'), ...args];
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      argv,
      { timeout: timeoutMs, env: { ...process.env, ZDFU_HOME: home, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`zdfu ${args.join(' ')} failed: ${error.message}\n${stderr}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout) as T);
        } catch {
          reject(new Error(`zdfu ${args.join(' ')} printed no JSON result: ${stdout}${stderr}`));
        }
      },
    );
  });
}

/** True when the venv's Python can import mcumgr-toolkit (checked once, before any board starts). */
export function hasToolkit(python: string): boolean {
  try {
    execFileSync(python, ['-c', 'import mcumgr_toolkit'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs argv to completion and returns its wall time in seconds; a failed run is an error. */
export function timedRun(argv: readonly string[]): Promise<number> {
  const [file, ...args] = argv;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      file!,
      args,
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', TERM: 'dumb' } },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${argv.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
          return;
        }
        resolve((performance.now() - started) / 1000);
      },
    );
  });
}

/** The peers always talk to port 1337; each board gets a loopback address of its own. */
export const SMP_UDP_PORT = 1337;
export const BAUD = 115200;
/** 10 bits per byte on the wire, 3 data bytes per 4 base64 characters, before any framing. */
export const SERIAL_CEILING_KIB_S = ((BAUD / 10) * 3) / 4 / 1024;

export type Link = 'serial' | 'udp';

/** A running virtual board and the loopback address its SMP UDP server listens on. */
export interface SimBoard {
  handle: SimHandle;
  udpHost: string;
}

function randomByte(): number {
  return Math.floor(Math.random() * 250);
}

/**
 * Starts a virtual board (the sim's default, stm32f4_disco, unless `board` is given) with its
 * flash timing, which counts for every tool alike, on a PTY paced at `baud` and on
 * 127.x.y.z:1337, picking another address when that one is taken.
 */
export async function startSimBoard(baud: number, board?: BoardData): Promise<SimBoard> {
  for (let attempt = 0; ; attempt++) {
    const udpHost = `127.${1 + (process.pid % 250)}.${randomByte()}.${1 + randomByte()}`;
    try {
      const udp = `${udpHost}:${SMP_UDP_PORT}`;
      const handle = await startSim(
        board ? { board, udp, baud, flashTimeScale: 1 } : { udp, baud, flashTimeScale: 1 },
      );
      return { handle, udpHost };
    } catch (error) {
      if (attempt >= 5 || !/EADDRINUSE/.test(String(error))) throw error;
    }
  }
}

/** zdfu's global options that reach `board` over `link`. */
export function zdfuConnArgs(board: SimBoard, link: Link): string[] {
  return link === 'serial'
    ? ['--conntype', 'serial', '--connstring', `dev=${board.handle.ptyPath},baud=${BAUD}`]
    : ['--conntype', 'udp', '--connstring', `${board.udpHost}:${SMP_UDP_PORT}`];
}
