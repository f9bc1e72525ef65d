// `zdfu sim --count N --hawkbit URL [--fault …]` and `zdfu sim --hawkbit`: options refused in one
// sentence before anything starts, and a small fleet run against the fake DDI server, one line per
// board event and the summary when stopped.
import { afterEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/run.ts';
import { getBoard } from '../../src/device/boards/index.ts';
import { blinkyImageFor } from '../../src/device/io/board-images.ts';
import { type FakeDdi, startFakeDdi } from '../helpers/fake-ddi.ts';
import { runZdfu } from '../helpers/run-zdfu.ts';

let fake: FakeDdi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** Runs the CLI in-process until `stop` aborts it; `printed()` is its stdout and stderr so far. */
function startCli(args: string[]): {
  stop: AbortController;
  running: Promise<number>;
  printed: () => string;
} {
  const stop = new AbortController();
  let out = '';
  const io: CliIo = {
    stdout: { write: (t: string | Uint8Array) => (out += String(t)) },
    stderr: { write: (t: string) => (out += t) },
    env: {},
    signal: stop.signal,
  };
  return { stop, running: runCli(args, io), printed: () => out };
}

describe('zdfu sim --count / --hawkbit options', () => {
  it.each([
    [
      ['--count', '0', '--hawkbit', 'http://127.0.0.1:1'],
      /--count "0" is not a whole number of boards from 1 to 10000/,
    ],
    [['--count', '3'], /--count N needs --hawkbit URL: the boards poll hawkBit themselves/],
    [['--count', '2', '--hawkbit', 'http://h:1', '--flash', 'f.bin'], /--flash goes with the one-board sim/],
    [['--count', '2', '--hawkbit', 'ftp://h/'], /--hawkbit "ftp:\/\/h\/" is not an http or https URL/],
    [['--count', '2', '--hawkbit', 'not a url'], /--hawkbit "not a url" is not a URL/],
    [
      ['--count', '2', '--hawkbit', 'http://h:1', '--hawkbit-token', 'a', '--gateway-token', 'b'],
      /are one choice, as Zephyr's CONFIG_HAWKBIT_DDI_\*_SECURITY: give one/,
    ],
    [['--count', '2', '--hawkbit', 'http://h:1', '--fault', 'nope=1%'], /unknown fault "nope"/],
    [['--fault', 'link-lost=1%'], /--fault shares faults out over a fleet: it goes with --count N/],
    [['--gateway-token', 'k'], /--hawkbit-token and --gateway-token go with --hawkbit URL/],
    [
      ['--count', '2', '--hawkbit', 'http://127.0.0.1:1', '--board', 'stm32f4_disco'],
      /stm32f4_disco cannot run Zephyr's hawkBit client: its storage_partition is 1 erase block of 128 KiB.*--board nrf52840dk/,
    ],
  ])('refuses %j in words', async (args, words) => {
    const run = await runZdfu(['sim', ...args], {});
    expect(run.code).not.toBe(0);
    expect(run.err).toMatch(words);
    expect(run.err).not.toMatch(/\n\s+at /);
  });
});

describe('zdfu sim --count N --hawkbit URL', () => {
  it('runs the boards, prints a line per board event, and the summary when stopped', async () => {
    fake = await startFakeDdi({ pollSleep: '00:00:01' });
    const { stop, running, printed } = startCli(['sim', '--count', '2', '--hawkbit', fake.url, '--fast']);
    const until = async (ok: () => boolean) => {
      const deadline = Date.now() + 8000;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`timed out; printed:\n${printed()}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    await until(() => fake!.targetIds().length === 2);
    expect(printed()).toMatch(
      /zdfu sim: 2 × nrf52840dk started in [\d.]+ s, polling http:\S+ as nrf52840dk-7a64000000000000 … nrf52840dk-7a64000000000001 \(auth none; faults: none\)/,
    );
    const data = await blinkyImageFor(getBoard('nrf52840dk'), 'blinky-two');
    fake.assign(fake.targetIds(), {
      name: 'blinky',
      version: '2.0.0',
      chunks: [
        { part: 'bApp', name: 'blinky', version: '2.0.0', artifacts: [{ filename: 'two.bin', data }] },
      ],
    });
    await until(
      () => (printed().match(/ success \(action \d+\): running 2\.0\.0, confirmed/g) ?? []).length === 2,
    );
    expect(printed()).toMatch(
      /^#0 nrf52840dk-7a64000000000000 installed \(action \d+\): two\.bin in slot 1 for test; rebooting$/m,
    );
    expect(printed()).not.toMatch(/ poll: /);
    stop.abort();
    expect(await running).toBe(0);
    expect(printed()).toMatch(
      /zdfu sim: 2 boards; running: 2\.0\.0 2\nzdfu sim: last action: 2 success, 0 failure, 0 cancelled, 0 none/,
    );
  });
});

describe('zdfu sim --hawkbit URL (one board)', () => {
  async function runOne(args: string[], until: RegExp): Promise<string> {
    fake ??= await startFakeDdi({ pollSleep: '00:00:01' });
    const { stop, running, printed } = startCli([
      'sim',
      '--hawkbit',
      fake.url,
      '--no-udp',
      '--fast',
      ...args,
    ]);
    const deadline = Date.now() + 15_000;
    while (!until.test(printed())) {
      if (Date.now() > deadline) {
        stop.abort();
        await running;
        throw new Error(`no ${until} within 15 s; printed:\n${printed()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    stop.abort();
    expect(await running).toBe(0);
    return printed();
  }

  it("polls with the board's controller id and sends its config data", async () => {
    const out = await runOne(['--board', 'nrf52840dk'], /hawkBit no-update/);
    expect(out).toMatch(/zdfu sim: hawkBit config-data: sent config data VIN 7a64667500000001, hwRevision 3/);
    expect(fake!.targetIds()).toEqual(['nrf52840dk-7a64667500000001']);
  });

  it('says why a board without storage for the action id does not start the client', async () => {
    const out = await runOne(['--board', 'stm32f4_disco'], /hawkBit error/);
    expect(out).toMatch(
      /zdfu sim: hawkBit error: hawkbit_init failed: no storage for the action id: stm32f4_disco's storage_partition holds no file system/,
    );
    expect(fake!.targetIds()).toEqual([]);
  });
});
