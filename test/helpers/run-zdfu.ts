/** Runs the zdfu CLI in-process and captures what it prints (bytes written to stdout as hex). */
import type { CliIo } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/run.ts';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runZdfu(args: string[], env: Record<string, string>): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: {
      write: (t: string | Uint8Array) => (out += typeof t === 'string' ? t : Buffer.from(t).toString('hex')),
    },
    stderr: { write: (t: string) => (err += t) },
    env,
  };
  const code = await runCli(args, io);
  return { code, out, err };
}
