/** `zdfu serve` as a command: what it prints, --sim boards on offer, refusals in words, Ctrl-C. */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/run.ts';
import { parseServeUrl } from '../../src/serve/protocol.ts';
import { listServeTargets } from '../../src/transport/web/websocket.ts';
import { pageSocket, until } from './helpers.ts';

let dir: string | undefined;
let blocker: Server | undefined;

afterEach(async () => {
  if (blocker) await new Promise((resolve) => blocker!.close(resolve));
  blocker = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Starts `zdfu ARGS` in-process; `stop()` is Ctrl-C. */
function start(args: string[]) {
  dir ??= mkdtempSync(join(tmpdir(), 'zdfu-serve-cli-'));
  const abort = new AbortController();
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: { ZDFU_HOME: dir },
    signal: abort.signal,
  };
  const code = runCli(args, io);
  return {
    code,
    out: () => out,
    err: () => err,
    stop: () => abort.abort(),
  };
}

describe('zdfu serve', () => {
  it('prints the URL with its token, offers the --sim board, warns of a missing build, stops on Ctrl-C', async () => {
    const run = start([
      'serve',
      '--port',
      '0',
      '--sim',
      'nrf52840dk',
      '--dashboard',
      join(tmpdir(), 'no-such-dashboard'),
    ]);
    await until(() => run.out().includes('zdfu serve: open '), 'the URL', 15_000);
    const printed = /zdfu serve: open (\S+)/.exec(run.out())![1]!;
    expect(printed).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/);
    expect(run.out()).toMatch(
      /^zdfu sim: nrf52840dk running; serial \/dev\/pts\/\d+, udp 127\.0\.0\.1:\d+\n/,
    );
    expect(run.err()).toContain('Warning: The dashboard is not built');
    const { url, token } = parseServeUrl(printed);
    const targets = await listServeTargets({ url, token, WebSocket: pageSocket(url) });
    expect(targets.filter((t) => t.source === 'sim').map((t) => t.id)).toEqual([
      'sim:nrf52840dk/udp',
      'sim:nrf52840dk/serial',
    ]);
    run.stop();
    expect(await run.code).toBe(0);
    // Stopped: nothing listens there any more.
    await expect(
      listServeTargets({ url, token, WebSocket: pageSocket(url), timeoutMs: 2000 }),
    ).rejects.toMatchObject({
      code: 'unreachable',
    });
  }, 30_000);

  it('offers the connection profiles', async () => {
    dir = mkdtempSync(join(tmpdir(), 'zdfu-serve-cli-'));
    const add = start(['conn', 'add', 'bench', 'type=udp', 'connstring=127.0.0.1:1337']);
    expect(await add.code).toBe(0);
    const run = start(['serve', '--port', '0']);
    await until(() => run.out().includes('zdfu serve: open '), 'the URL', 15_000);
    const { url, token } = parseServeUrl(/zdfu serve: open (\S+)/.exec(run.out())![1]!);
    const targets = await listServeTargets({ url, token, WebSocket: pageSocket(url) });
    expect(targets.filter((t) => t.source === 'profile')).toEqual([
      { id: 'profile:bench', kind: 'udp', source: 'profile', label: 'bench', detail: 'udp 127.0.0.1:1337' },
    ]);
    run.stop();
    expect(await run.code).toBe(0);
  }, 30_000);

  it('refuses a non-loopback --host and a bad --port or --allow-origin in words, exit 1', async () => {
    const cases: [string[], string][] = [
      [
        ['--host', '0.0.0.0'],
        'Error: --host 0.0.0.0 is not a loopback address, and zdfu serve listens on loopback only',
      ],
      [
        ['--port', 'eighty'],
        'Error: The port "eighty" is not a whole number in 0..65535 (0 picks a free one).',
      ],
      [['--allow-origin', 'https://x.example/app'], 'Error: --allow-origin https://x.example/app has a path'],
    ];
    for (const [args, words] of cases) {
      const run = start(['serve', ...args]);
      expect(await run.code, args.join(' ')).toBe(1);
      expect(run.err(), args.join(' ')).toContain(words);
    }
  });

  it('a port given and taken is an error; the default port taken falls back to a free one', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    const run = start(['serve', '--port', String(taken)]);
    expect(await run.code).toBe(1);
    expect(run.err()).toBe(
      `Error: Port ${taken} on 127.0.0.1 is taken (another zdfu serve?): pick another with --port N, or --port 0 for any free one.\n`,
    );
    await new Promise((resolve) => blocker!.close(resolve));
    // Take the default port if nobody has it (another serve on this machine has it otherwise).
    blocker = createServer();
    await new Promise<void>((resolve) => {
      blocker!.once('error', () => resolve());
      blocker!.listen(8117, '127.0.0.1', resolve);
    });
    const fallback = start(['serve']);
    await until(() => fallback.out().includes('zdfu serve: open '), 'the URL', 15_000);
    expect(fallback.err()).toMatch(
      /zdfu serve: port 8117 is taken \(another zdfu serve\?\); serving on port \d+ instead\.\n/,
    );
    expect(fallback.out()).not.toContain(':8117/');
    fallback.stop();
    expect(await fallback.code).toBe(0);
  });

  it.runIf(process.platform === 'linux')(
    '--open hands the URL to xdg-open; a failing opener is a warning with the URL',
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'zdfu-serve-cli-'));
      const bin = join(dir, 'bin');
      const seen = join(dir, 'opened.txt');
      const path = process.env.PATH;
      mkdirSync(bin);
      writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${seen}'\n`);
      chmodSync(join(bin, 'xdg-open'), 0o755);
      process.env.PATH = `${bin}:${path}`;
      try {
        const run = start(['serve', '--port', '0', '--open']);
        await until(
          () => existsSync(seen) && readFileSync(seen, 'utf8').includes('#token='),
          'xdg-open to run',
          10_000,
        );
        expect(run.out()).toContain(`zdfu serve: open ${readFileSync(seen, 'utf8')}\n`);
        run.stop();
        expect(await run.code).toBe(0);

        writeFileSync(join(bin, 'xdg-open'), '#!/bin/sh\nexit 3\n');
        const failing = start(['serve', '--port', '0', '--open']);
        await until(() => failing.err().includes('could not open a browser'), 'the warning', 10_000);
        const url = /zdfu serve: open (\S+)/.exec(failing.out())![1]!;
        expect(failing.err()).toContain(
          `Warning: could not open a browser (xdg-open exited with 3); open ${url} yourself.\n`,
        );
        failing.stop();
        expect(await failing.code).toBe(0);
      } finally {
        process.env.PATH = path;
      }
    },
    30_000,
  );
});
