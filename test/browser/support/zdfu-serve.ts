/**
 * Starts `zdfu serve` as a user does, in its own process: `zdfu --json serve --port 0 --sim BOARD
 * --dashboard DIR`, and reads the JSON document it prints (its URL with the token, each sim's PTY
 * and UDP port). The CLI is bundled from the source first, as scripts/build.mjs bundles dist/zdfu.mjs
 * (so the test runs the code under test, not a stale dist/, and starts in about a second where tsx
 * would transform the whole CLI at each start). Stopped with SIGTERM (the CLI's Ctrl-C path),
 * SIGKILL after a bounded wait.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import NODE_BUNDLE from '../../../scripts/node-bundle.json' with { type: 'json' };

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLI_DIR = join(ROOT, '.cache', 'browser-cli');
let bundled: Promise<string> | undefined;

/** The CLI bundled from src/cli/main.ts with scripts/build.mjs's options, once per test process. */
function cliBundle(): Promise<string> {
  bundled ??= build({
    ...(NODE_BUNDLE as BuildOptions),
    absWorkingDir: ROOT,
    entryPoints: { zdfu: 'src/cli/main.ts' },
    outdir: CLI_DIR,
    logLevel: 'silent',
  }).then(() => join(CLI_DIR, 'zdfu.mjs'));
  return bundled;
}
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export interface ServeProcess {
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  readonly token: string;
  readonly url: string;
  readonly sims: readonly { board: string; pty: string; udp: { host: string; port: number } | null }[];
  /** What it wrote to stderr (its log of page connections and refusals). */
  stderr(): string;
  stop(): Promise<void>;
}

export async function startZdfuServe(options: {
  sims: readonly string[];
  dashboard: string;
}): Promise<ServeProcess> {
  const args = [await cliBundle(), '--json', 'serve', '--port', '0', '--dashboard', options.dashboard];
  for (const board of options.sims) args.push('--sim', board);
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    // Bounded: the log is for failure messages.
    err = (err + chunk.toString()).slice(-20_000);
  });
  const doc = await new Promise<{ url: string; port: number; sims: ServeProcess['sims'] }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`zdfu serve did not print its URL within ${START_TIMEOUT_MS / 1000} s:\n${err}`));
      }, START_TIMEOUT_MS);
      const tryParse = () => {
        try {
          const parsed = JSON.parse(out) as { url: string; port: number; sims: ServeProcess['sims'] };
          clearTimeout(timer);
          resolve(parsed);
        } catch {
          // not a whole document yet
        }
      };
      child.stdout.on('data', tryParse);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`zdfu serve exited with ${code} before serving:\n${err}`));
      });
    },
  );
  const url = new URL(doc.url);
  const token = new URLSearchParams(url.hash.slice(1)).get('token') ?? '';
  if (!token) throw new Error(`zdfu serve printed a URL without a token: ${doc.url}`);
  return {
    origin: url.origin,
    token,
    url: doc.url,
    sims: doc.sims,
    stderr: () => err,
    stop: () => stopProcess(child),
  };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
