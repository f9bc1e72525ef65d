/**
 * `zdfu serve`: the dashboard and the WebSocket bridge from pages to local devices (connection
 * profiles, serial ports, and virtual boards started with `--sim BOARD`), on loopback, with a
 * token printed in the URL, until Ctrl-C. The serve's modules are loaded only by this command's
 * action, so other commands do not pay for them (or for `ws`).
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { SimHandle } from '../device/io/sim-host.ts';
import type { ServeHandle } from '../serve/server.ts';
import type { ContextFactory } from './conn.ts';
import type { CliContext } from './context.ts';
import { CliError } from './errors.ts';
import { sentence } from './format.ts';
import { ZDFU_VERSION } from './program.ts';

interface ServeCommandOptions {
  port?: string;
  host: string;
  open?: boolean;
  sim: string[];
  allowOrigin: string[];
  dashboard?: string;
}

export async function serveCommand(ctx: CliContext, opts: ServeCommandOptions): Promise<void> {
  const { DEFAULT_SERVE_PORT, ServePortInUseError, startServe } = await import('../serve/server.ts');
  const { loopbackListenHost, parseAllowedOrigin, ServeHostError } = await import('../serve/loopback.ts');
  const { missingDashboardAdvice } = await import('../serve/static-files.ts');
  const port = opts.port === undefined ? undefined : parsePort(opts.port);
  let host: string;
  let allowOrigins: string[];
  try {
    host = loopbackListenHost(opts.host);
    allowOrigins = opts.allowOrigin.map(parseAllowedOrigin);
  } catch (error) {
    if (error instanceof ServeHostError) throw new CliError(sentence(error.message));
    throw error;
  }
  const broken = safely(() => ctx.profiles.broken()) ?? [];
  for (const problem of broken) ctx.io.stderr.write(`Warning: ${problem} It is not offered to pages.\n`);

  const sims: SimHandle[] = [];
  let serve: ServeHandle | undefined;
  try {
    if (opts.sim.length > 0) {
      const { startSim } = await import('../device/io/sim-host.ts');
      for (const board of opts.sim) {
        // Fast flash: a page's upload and swap are not paced like real flash (`zdfu sim` is).
        const sim = await startSim({ board, udp: '127.0.0.1:0', flashTimeScale: 0, signal: ctx.io.signal });
        sims.push(sim);
        if (!ctx.json) ctx.io.stdout.write(`${sim.readyLine}\n`);
      }
    }
    const log = (line: string) => ctx.io.stderr.write(`zdfu serve: ${line}\n`);
    const options = {
      host,
      allowOrigins,
      profiles: ctx.profiles,
      sims,
      log,
      serverName: `zdfu serve ${ZDFU_VERSION}`,
    };
    const withRoot = opts.dashboard === undefined ? options : { ...options, staticRoot: opts.dashboard };
    try {
      serve = await startServe({ ...withRoot, port: port ?? DEFAULT_SERVE_PORT });
    } catch (error) {
      if (!(error instanceof ServePortInUseError)) throw error;
      if (port !== undefined) throw new CliError(sentence(error.message));
      // The default port is only a convenience: any free one will do.
      serve = await startServe({ ...withRoot, port: 0 });
      ctx.io.stderr.write(
        `zdfu serve: port ${DEFAULT_SERVE_PORT} is taken (another zdfu serve?); serving on port ${serve.port} instead.\n`,
      );
    }
    if (!serve.dashboardBuilt) ctx.io.stderr.write(`Warning: ${missingDashboardAdvice(serve.staticRoot)}\n`);
    ctx.emit(
      {
        url: serve.url,
        host: serve.host,
        port: serve.port,
        dashboard: serve.dashboardBuilt,
        sims: sims.map((sim) => ({ board: sim.device.board.name, pty: sim.ptyPath, udp: sim.udp ?? null })),
      },
      `zdfu serve: open ${serve.url}\n` +
        '  (the token after # lets a page use your devices: share it with no one; Ctrl-C stops)\n',
    );
    if (opts.open) openInBrowser(serve.url, ctx);
    await aborted(ctx.io.signal);
  } finally {
    await serve?.close();
    for (const sim of sims.reverse()) await sim.close().catch(() => undefined);
  }
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) {
    throw new CliError(`The port "${value}" is not a whole number in 0..65535 (0 picks a free one).`);
  }
  return n;
}

/** Opens the URL in the user's browser; a failure is a warning that repeats the URL. */
function openInBrowser(url: string, ctx: CliContext): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  const warn = (why: string) =>
    ctx.io.stderr.write(`Warning: could not open a browser (${why}); open ${url} yourself.\n`);
  try {
    const child = spawn(command, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', (error) => warn(`${command}: ${error.message}`));
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) warn(`${command} exited with ${code}`);
    });
    child.unref();
  } catch (error) {
    warn((error as Error).message);
  }
}

/** Resolves when the command is cancelled (Ctrl-C); without a signal, never. */
function aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerServeCommand(program: Command, context: ContextFactory): void {
  program
    .command('serve')
    .description(
      'Serve the dashboard and let pages you open with its token use your devices (profiles, serial ports, --sim boards); loopback only',
    )
    .option('--port <n>', 'port to listen on (default 8117, or a free one if taken; 0 = any free port)')
    .option('--host <address>', 'loopback address to listen on (127.0.0.1 or ::1)', '127.0.0.1')
    .option('--open', 'open the dashboard in your browser')
    .option(
      '--sim <board>',
      'also run a virtual board (fast flash) and offer it on its PTY and UDP; repeatable',
      collect,
      [],
    )
    .option(
      '--allow-origin <origin>',
      'also accept pages from this origin (e.g. http://localhost:5173 for the dashboard dev server); they still need the token; repeatable',
      collect,
      [],
    )
    .option(
      '--dashboard <dir>',
      'serve the dashboard build from this folder (default: dist/dashboard of zdfu)',
    )
    .addHelpText(
      'after',
      '\nThe URL it prints carries a token after #: a page needs it to open a WebSocket to zdfu serve, and other\n' +
        "sites' pages are refused even with it. Example: zdfu serve --open --sim nrf52840dk",
    )
    .action((opts: ServeCommandOptions, command: Command) => serveCommand(context(command), opts));
}
