/**
 * The new commands end to end: `zdfu settings|config`, `enum`, `storage erase` against `zdfu sim`
 * (fast flash), over UDP and over the serial PTY, text and --json, with bad input refused locally.
 */
import { describe, expect, it } from 'vitest';
import { startSim } from '../../../src/device/io/sim-host.ts';
import { runZdfu } from '../../helpers/run-zdfu.ts';
import { useSimWorkspace } from '../../helpers/sim-workspace.ts';

const ws = useSimWorkspace('zdfu-settings-cli-');

type Via = 'udp' | 'serial';

function zdfu(via: Via, ...args: string[]) {
  const sim = ws.sim!;
  const conn =
    via === 'udp'
      ? ['--conntype', 'udp', '--connstring', `127.0.0.1:${sim.udp!.port}`]
      : ['--conntype', 'serial', '--connstring', `dev=${sim.ptyPath}`];
  return runZdfu([...conn, '-t', '3', ...args], { ZDFU_HOME: ws.dir });
}

async function waitForLine(pattern: RegExp, after: number, lines: () => string[]): Promise<void> {
  const deadline = Date.now() + 5000;
  while (
    !lines()
      .slice(after)
      .some((line) => pattern.test(line))
  ) {
    if (Date.now() > deadline) throw new Error(`no console line ${pattern}:\n${lines().join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(['udp', 'serial'] as const)('over %s', (via) => {
  it('settings write/read/save survive a reset, config is an alias, delete and storage erase undo it', async () => {
    ws.sim = await startSim({ board: 'nrf52840dk', udp: '127.0.0.1:0', baud: 0 });
    const lines: string[] = [];
    ws.sim.device.onConsoleLine((line) => lines.push(line));

    const write = await zdfu(via, 'settings', 'write', 'blinky/rate', '4');
    expect(write).toMatchObject({ code: 0, err: '' });
    expect(write.out).toBe('blinky/rate set to 4 (1 byte; `settings save` keeps it across resets)\n');
    expect((await zdfu(via, 'config', 'read', 'blinky/rate')).out).toBe('blinky/rate = 4\n');
    expect((await zdfu(via, 'settings', 'read', 'blinky/rate', '--format', 'hex')).out).toBe(
      'blinky/rate = 34\n',
    );
    const json = JSON.parse(
      (await zdfu(via, '--json', 'settings', 'read', 'blinky/rate', '--max-size', '100')).out,
    );
    expect(json).toEqual({ name: 'blinky/rate', val: '34', value: '4', format: 'auto', max_size: 32 });
    expect((await zdfu(via, 'settings', 'save')).out).toBe(
      'Saved: the device stored the values its handlers hold\n',
    );
    expect((await zdfu(via, 'settings', 'commit')).code).toBe(0);
    expect((await zdfu(via, 'settings', 'load')).code).toBe(0);

    let mark = lines.length;
    await ws.sim.device.reset();
    await waitForLine(/blinky: LED0 at 4 Hz/, mark, () => lines);

    const del = await zdfu(via, '--json', 'settings', 'delete', 'blinky/rate');
    expect(JSON.parse(del.out)).toEqual({ name: 'blinky/rate', deleted: true });
    await zdfu(via, 'settings', 'write', 'blinky/rate', '6');
    await zdfu(via, 'settings', 'save');

    const erase = await zdfu(via, 'storage', 'erase');
    expect(erase.code).toBe(0);
    expect(erase.out).toContain("Erased the device's whole storage_partition");
    expect(JSON.parse((await zdfu(via, '--json', 'storage', 'erase')).out)).toEqual({
      erased: 'storage_partition',
    });
    mark = lines.length;
    await ws.sim.device.reset();
    await waitForLine(/blinky: LED0 at 1 Hz/, mark, () => lines);

    const missing = await zdfu(via, 'settings', 'read', 'blinky/rate');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('settings key not found (KEY_NOT_FOUND, group 3 rc 3)');
  }, 60_000);

  it('enum count, list, single and details', async () => {
    ws.sim = await startSim({ udp: '127.0.0.1:0', baud: 0 });
    expect((await zdfu(via, 'enum', 'count')).out).toBe('8 groups\n');
    const list = await zdfu(via, 'enum', 'list');
    expect(
      list.out
        .split('\n')
        .filter(Boolean)
        .map((line) => line.trim()),
    ).toEqual([
      '0  os',
      '2  stat',
      '1  image',
      '8  fs',
      '3  settings',
      '10  enum',
      '63  zephyr-basic',
      '9  shell',
    ]);
    expect(JSON.parse((await zdfu(via, '--json', 'enum', 'list')).out)).toEqual({
      groups: [0, 2, 1, 8, 3, 10, 63, 9],
    });
    expect((await zdfu(via, 'enum', 'single', '7')).out).toBe('index 7: group 9 (shell), the last one\n');
    expect(JSON.parse((await zdfu(via, '--json', 'enum', 'single', '0')).out)).toEqual({
      index: 0,
      group: 0,
      end: false,
    });
    const details = await zdfu(via, 'enum', 'details', '3', '63');
    expect(details.out).toBe(
      'group  name                handlers\n' +
        '  3  settings mgmt       4 handlers\n' +
        ' 63  zephyr basic mgmt   1 handler\n',
    );
    const past = await zdfu(via, 'enum', 'single', '8');
    expect(past.code).toBe(2);
    expect(past.err).toContain('group index too large (INDEX_TOO_LARGE, group 10 rc 4)');
  }, 60_000);
});

describe('bad input is refused before anything is sent', () => {
  it('names the problem', async () => {
    ws.sim = await startSim({ udp: '127.0.0.1:0', baud: 0 });
    const cases: Array<[string[], string]> = [
      [
        ['settings', 'write', 'k', 'zz', '--hex'],
        'The value "zz" is not hexadecimal ("z" is not a hex digit).',
      ],
      [['settings', 'write', 'k', 'abc', '--hex'], 'has an odd number of hex digits (3)'],
      [['settings', 'write', 'k', '300', '--format', 'u8'], 'The value 300 is outside u8 (0 to 255).'],
      [['settings', 'write', 'k', '1', '--hex', '--format', 'u8'], '--hex and --format u8 disagree'],
      [['settings', 'read', 'k', '--format', 'float'], 'Unknown value format "float"'],
      [['settings', 'read', 'k', '--max-size', '-1'], '--max-size must be a whole number of bytes'],
      [['enum', 'single', 'x'], 'The index must be a whole number'],
      [['enum', 'details', '70000'], 'A group id must be a whole number from 0 to 65535'],
    ];
    for (const [args, message] of cases) {
      const run = await zdfu('udp', ...args);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.err).toContain(message);
    }
  });

  it('a key too long and a value the app refuses come back from the device in words', async () => {
    ws.sim = await startSim({ udp: '127.0.0.1:0', baud: 0 });
    const long = await zdfu('udp', 'settings', 'read', `blinky/${'x'.repeat(30)}`);
    expect(long.code).toBe(2);
    expect(long.err).toContain('settings key too long (KEY_TOO_LONG, group 3 rc 2)');
    const big = await zdfu('udp', 'settings', 'write', 'blinky/rate', '123456789');
    expect(big.err).toContain('settings root key not found (ROOT_KEY_NOT_FOUND, group 3 rc 5)');
    await zdfu('udp', 'settings', 'write', 'blinky/rate', '12345678');
    const u32 = await zdfu('udp', 'settings', 'read', 'blinky/rate', '--format', 'u32');
    expect(u32.code).toBe(1);
    expect(u32.err).toContain('blinky/rate: The value is 8 bytes (3132333435363738), not a u32 (4 bytes).');
    expect(
      (await zdfu('udp', 'settings', 'read', 'blinky/rate', '--max-size', '4', '--format', 'u32')).out,
    ).toBe('blinky/rate = 875770417\n');
  });
});
