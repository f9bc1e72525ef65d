/**
 * `zdfu shell exec` against `zdfu sim` (fast flash), over the PTY and over UDP: the output as the
 * device's shell printed it, the return value named when it is not 0, --json with `o` and `ret`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHandle, startSim } from '../../../src/device/io/sim-host.ts';
import { appStarted } from '../../e2e/helpers.ts';
import { runZdfu } from '../../helpers/run-zdfu.ts';

let sim: SimHandle;
beforeAll(async () => {
  sim = await startSim({ udp: '127.0.0.1:0', baud: 0, flashTimeScale: 0 });
  await appStarted(sim);
});
afterAll(async () => {
  await sim?.close();
});

const links = {
  serial: () => ['--conntype', 'serial', '--connstring', `dev=${sim.ptyPath}`],
  udp: () => ['--conntype', 'udp', '--connstring', `127.0.0.1:${sim.udp?.port}`],
};

describe.each(['serial', 'udp'] as const)('shell exec over %s', (kind) => {
  const zdfu = (...args: string[]) => runZdfu([...links[kind](), ...args], {});

  it('prints what the command printed', async () => {
    expect(await zdfu('shell', 'exec', 'kernel', 'version')).toMatchObject({
      code: 0,
      out: 'Zephyr version 3.5.0\n',
      err: '',
    });
    expect((await zdfu('shell', 'exec', 'device', 'list')).out).toBe(
      'devices:\n- flash0 (READY)\n- gpioa (READY)\n- gpiod (READY)\n- usart2 (READY)\n',
    );
    expect((await zdfu('shell', 'exec', 'mcuboot')).out).toMatch(
      /^swap type: none\nconfirmed: 1\n\nprimary area \(2\):\n/,
    );
  });

  it("sets and reads the app's LED rate", async () => {
    expect((await zdfu('shell', 'exec', 'led', 'rate', '2')).out).toBe(
      'LED0: 2.0 Hz (toggles every 250 ms)\n',
    );
    expect((await zdfu('shell', 'exec', 'led', 'rate')).out).toBe('LED0: 2.0 Hz (toggles every 250 ms)\n');
    expect((await zdfu('shell', 'exec', 'led', 'rate', '1')).code).toBe(0);
  });

  it('names a non-zero return value on stderr; --json carries o and ret', async () => {
    const unknown = await zdfu('shell', 'exec', 'frobnicate');
    expect(unknown).toMatchObject({ code: 0, out: 'frobnicate: command not found\n' });
    expect(unknown.err).toBe('(the command returned -8)\n');
    const json = await zdfu('--json', 'shell', 'exec', 'led', 'rate', '-5');
    expect(JSON.parse(json.out)).toEqual({
      o: '\r\ninvalid rate: -5 (expected 0.1 to 100 Hz)\r\n',
      ret: -22,
    });
  });

  it('refuses an over-long line with COMMAND_TOO_LONG', async () => {
    const run = await zdfu('shell', 'exec', 'led', 'rate', '9'.repeat(250));
    expect(run.code).toBe(2);
    expect(run.err).toContain('shell command too long (COMMAND_TOO_LONG, group 9 rc 2)');
  });
});
