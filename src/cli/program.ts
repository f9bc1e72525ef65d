/**
 * The zdfu program without its commands: global options, where output goes, and how a failure
 * becomes one sentence on stderr and an exit code (a stack trace only with ZDFU_DEBUG=1). The full
 * CLI (run.ts) and the imgtool-only one (imgtool/run.ts) add their commands to it.
 */
import { Command, CommanderError, Option } from 'commander';
import { SmpError, SmpTimeoutError } from '../smp/errors.ts';
import { faultOf } from '../util/fault.ts';
import type { ContextFactory } from './conn.ts';
import { CliContext, type CliIo, DEFAULT_TIMEOUT_SECONDS, type GlobalOptions } from './context.ts';
import { CliError } from './errors.ts';
import { openNodeTransport } from './transports.ts';

export const ZDFU_VERSION = '0.1.0';

/** Exit codes: 1 local/usage problem, 2 the device reported an error, 3 the device did not answer. */
export const EXIT_FAILURE = 1;
export const EXIT_DEVICE_ERROR = 2;
export const EXIT_NO_ANSWER = 3;
export const EXIT_ABORTED = 130;

const EXIT_FOR_FAULT = {
  local: EXIT_FAILURE,
  device: EXIT_DEVICE_ERROR,
  'no-answer': EXIT_NO_ANSWER,
} as const;

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new CliError(`The timeout "${value}" is not a positive number of seconds.`);
  return n;
}

function parseTries(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new CliError(`The tries "${value}" is not a whole number ≥ 1.`);
  return Number(value);
}

/** The bare program and the factory its commands use to get their context. */
export function createProgram(io: CliIo): { program: Command; context: ContextFactory } {
  const program = new Command('zdfu');
  program
    .description('Firmware updates for Zephyr + MCUboot devices over SMP (mcumgr-compatible commands)')
    .version(ZDFU_VERSION, '-v, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .option('-c, --conn <name>', 'connection profile to use (see `zdfu conn`)')
    .addOption(
      new Option('--conntype <type>', 'connection type, overrides the profile').choices(['serial', 'udp']),
    )
    .option(
      '--connstring <string>',
      'connection string, overrides the profile (e.g. dev=/dev/ttyACM0,baud=115200)',
    )
    .option(
      '-t, --timeout <seconds>',
      `timeout per request in seconds (default ${DEFAULT_TIMEOUT_SECONDS})`,
      parseSeconds,
    )
    .option('-r, --tries <n>', 'total tries per request after a timeout (reset is never retried)', parseTries)
    .option('--json', 'print one JSON document per command (hashes as hex)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 usage or local problem, 2 the device reported an error, 3 the device did not answer.',
    );
  const context = (command: Command) =>
    new CliContext(io, command.optsWithGlobals<GlobalOptions>(), io.openTransport ?? openNodeTransport);
  return { program, context };
}

/** Runs one command line (without the node/script words) on `program`; returns the exit code. */
export async function runProgram(program: Command, argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander already printed its message
    reportError(err, io);
    return exitCodeFor(err);
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  const fault = faultOf(err);
  if (fault !== undefined) return EXIT_FOR_FAULT[fault];
  if (err instanceof SmpError) return EXIT_DEVICE_ERROR;
  if (err instanceof SmpTimeoutError) return EXIT_NO_ANSWER;
  if (err instanceof Error && err.cause instanceof SmpTimeoutError) return EXIT_NO_ANSWER;
  if (isAbort(err)) return EXIT_ABORTED;
  return EXIT_FAILURE;
}

/** The one sentence a user sees for `err`. */
export function describeError(err: unknown): string {
  if (isAbort(err)) return 'Aborted.';
  let message = err instanceof Error ? err.message : String(err);
  if (err instanceof SmpError) message = `The device reported an error: ${message}`;
  if (err instanceof SmpTimeoutError) {
    message = `${message}. Check the connection (port, baud rate, address) and that the device runs an SMP server.`;
  }
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

function reportError(err: unknown, io: CliIo): void {
  io.stderr.write(`Error: ${describeError(err)}\n`);
  if (io.env?.ZDFU_DEBUG === '1' && err instanceof Error && err.stack !== undefined) {
    io.stderr.write(`${err.stack}\n`);
  }
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}
