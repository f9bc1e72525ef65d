/**
 * Entry point of the `zdfu` binary (bundled into dist/zdfu.mjs). The imgtool commands load only
 * their own code; everything else loads the whole CLI. Ctrl-C aborts a running command cleanly.
 */
import { IMGTOOL_COMMANDS } from './imgtool/commands.ts';

const abort = new AbortController();
const onSignal = () => abort.abort();
// once: a second Ctrl-C gets Node's default (exit at once) should the first not be enough.
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

const argv = process.argv.slice(2);
const io = { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: abort.signal };
// The command word: the first word that is neither a global option nor a global option's value.
const TAKES_VALUE = new Set([
  '-c',
  '--conn',
  '--conntype',
  '--connstring',
  '-t',
  '--timeout',
  '-r',
  '--tries',
]);
const word = argv.find((arg, i) => !arg.startsWith('-') && !TAKES_VALUE.has(argv[i - 1] ?? ''));
if (word !== undefined && IMGTOOL_COMMANDS.has(word)) {
  const { runImgtoolCli } = await import('./imgtool/run.ts');
  process.exitCode = await runImgtoolCli(argv, io);
} else {
  const { runCli } = await import('./run.ts');
  process.exitCode = await runCli(argv, io);
}
// The command is over: a signal now must end the process, not abort a command that is gone.
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
