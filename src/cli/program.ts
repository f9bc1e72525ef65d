/**
 * The zdfu program without its commands: global options, where output goes, and how a failure
 * becomes one sentence on stderr and an exit code (a stack trace only with ZDFU_DEBUG=1). The full
 * CLI (run.ts) and the imgtool-only one (imgtool/run.ts) add their commands to it.
 */
import { Command, CommanderError, Option } from 'commander';
import { connTypes, getKind } from '../transport/kinds/registry.ts';
import type { ContextFactory } from './conn.ts';
import { CliContext, type CliIo, DEFAULT_TIMEOUT_SECONDS, type GlobalOptions } from './context.ts';
import { CliError } from './errors.ts';
import { describeError, EXIT_FAILURE, errorDocument, exitCodeFor } from './failure.ts';
import { formatJson } from './format.ts';
import { openNodeTransport } from './transports.ts';

export {
  describeError,
  EXIT_ABORTED,
  EXIT_DEVICE_ERROR,
  EXIT_FAILURE,
  EXIT_NO_ANSWER,
  EXIT_OK,
  errorDocument,
  exitCodeFor,
  faultFor,
} from './failure.ts';

export const ZDFU_VERSION = '0.1.0';

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
      // Usage errors read like every other failure: "Error: " and one sentence.
      outputError: (text, write) => write(`Error: ${usageSentence(text)}\n`),
    })
    .option('-c, --conn <name>', 'connection profile to use (see `zdfu conn`)')
    .addOption(new Option('--conntype <type>', 'connection type, overrides the profile').choices(connTypes()))
    .option(
      '--connstring <string>',
      `connection string, overrides the profile (${connTypes()
        .map((type) => `${type}: ${getKind(type).syntax}`)
        .join('; ')})`,
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

/** `--json` anywhere before `--`: the caller wants JSON, also when the command line is wrong. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** commander's "error: unknown command 'x'" as a sentence: "Unknown command 'x'." */
function usageSentence(text: string): string {
  const t = text
    .replace(/^error:\s*/i, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  const capital = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?)]$/.test(capital) ? capital : `${capital}.`;
}

function commanderSentence(err: CommanderError): string {
  if (err.code === 'commander.help' || err.code === 'commander.helpDisplayed') {
    return 'The command is incomplete; its usage is printed on stderr (or run it with --help).';
  }
  return usageSentence(err.message);
}

/**
 * Runs one command line (without the node/script words) on `program`; returns the exit code. A
 * failure is one sentence on stderr and, with --json, also one JSON error document on stdout.
 */
export async function runProgram(program: Command, argv: readonly string[], io: CliIo): Promise<number> {
  const json = wantsJson(argv);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has printed its message (or the help/version) already; its errors are usage errors.
      if (err.exitCode === 0) return 0;
      if (json) {
        const usage = new CliError(commanderSentence(err), { cause: err });
        io.stdout.write(formatJson(errorDocument(usage, usage.message)));
      }
      return EXIT_FAILURE;
    }
    reportError(err, io);
    if (json) io.stdout.write(formatJson(errorDocument(err)));
    return exitCodeFor(err);
  }
}

function reportError(err: unknown, io: CliIo): void {
  io.stderr.write(`Error: ${describeError(err)}\n`);
  if (io.env?.ZDFU_DEBUG === '1' && err instanceof Error && err.stack !== undefined) {
    io.stderr.write(`${err.stack}\n`);
  }
}
