// Shared pieces of the zdfu-over-BLE tests: a `zdfu sim --ble` child process on one virtual
// controller, and the zdfu CLI run in this process (its noble central on another controller).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/run.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function zdfu(args: string[], home: string): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { ZDFU_HOME: home },
  });
  return { code, stdout, stderr };
}

/** `zdfu sim --ble` in a child process; resolves once it printed its ready line. */
export class BleSim {
  readonly process: ChildProcess;
  output = '';
  readonly ready: Promise<string>;

  constructor(args: string[]) {
    this.process = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sim', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.ready = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sim not ready within 20 s: ${this.output}`)), 20_000);
      this.process.stdout?.on('data', (chunk: Buffer) => {
        this.output += chunk.toString();
        const line = this.output.split('\n').find((l) => l.startsWith('zdfu sim:'));
        if (line) {
          clearTimeout(timer);
          resolve(line);
        }
      });
      this.process.stderr?.on('data', (chunk: Buffer) => {
        this.output += chunk.toString();
      });
      this.process.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`sim exited (${code}) before it was ready: ${this.output}`));
      });
    });
    this.ready.catch(() => undefined);
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGINT');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

let sims = 0;

export function simArgs(dir: string, hci: string, name: string, extra: string[] = []): string[] {
  return [
    '--board',
    'esp32_devkitc_wroom',
    '--no-udp',
    '--pty',
    `${dir}/${name}-tty${++sims}`,
    '--ble',
    '--ble-hci',
    `uart:${hci}`,
    '--ble-name',
    name,
    ...extra,
  ];
}

export const BINARY_TWO = `${root}build/firmware/blinky-two/zephyr.signed.bin`;
