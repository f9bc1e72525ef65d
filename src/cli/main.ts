/**
 * Entry point of the `zdfu` binary (bundled into dist/zdfu.mjs). The imgtool commands load only
 * their own code; everything else loads the whole CLI. Ctrl-C aborts a running command cleanly.
 */
import { IMGTOOL_COMMANDS } from './imgtool/commands.ts';

const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
process.once('SIGTERM', () => abort.abort());

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
