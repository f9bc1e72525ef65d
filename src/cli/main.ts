/** Entry point of the `zdfu` binary (bundled into dist/zdfu.mjs). Ctrl-C aborts a running upload cleanly. */
import { runCli } from './run.ts';

const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
process.once('SIGTERM', () => abort.abort());

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: abort.signal,
});
