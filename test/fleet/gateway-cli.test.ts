import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { type SimHandle, startSim } from '../../src/device/io/sim-host.ts';
import type { FleetSnapshot } from '../../src/serve/fleet-protocol.ts';
import { watchServeFleet } from '../../src/transport/web/websocket.ts';
import { type FakeDdi, startFakeDdi } from '../helpers/fake-ddi.ts';
import { runZdfu } from '../helpers/run-zdfu.ts';
import { pageSocket, until } from '../serve/helpers.ts';
import { binaryTwo, distribution, GATEWAY_TOKEN } from './gateway-helpers.ts';

let home: string;
let ddi: FakeDdi | undefined;
let sim: SimHandle | undefined;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'zdfu-gateway-cli-'));
});

afterEach(async () => {
  await sim?.close();
  sim = undefined;
  await ddi?.close();
  ddi = undefined;
  rmSync(home, { recursive: true, force: true });
});

const quick = ['--flash-time-scale', '0', '--settle', '0.1', '--poll-floor', '0.05'];

describe('zdfu gateway (CLI)', () => {
  it('says what is missing or contradictory, in one sentence, before touching anything', async () => {
    const env = { ZDFU_HOME: home };
    expect(await runZdfu(['gateway', '--sim', '1'], env)).toMatchObject({
      code: 1,
      err: 'Error: --hawkbit URL is required: the hawkBit server to speak DDI to, e.g. http://127.0.0.1:8080.\n',
    });
    const both = await runZdfu(
      [
        'gateway',
        '--hawkbit',
        'http://127.0.0.1:9',
        '--gateway-token',
        'k',
        '--target-tokens',
        'f',
        '--sim',
        '1',
      ],
      env,
    );
    expect(both.err).toBe('Error: Give --gateway-token or --target-tokens, not both.\n');
    const none = await runZdfu(['gateway', '--hawkbit', 'http://127.0.0.1:9', '--gateway-token', 'k'], env);
    expect(none.err).toMatch(/^Error: No device to speak for: give --profile NAME/);
    const parallel = await runZdfu(
      ['gateway', '--hawkbit', 'http://127.0.0.1:9', '--parallel', '0', '--sim', '1'],
      env,
    );
    expect(parallel).toMatchObject({ code: 1, err: 'Error: --parallel "0" is not a whole number ≥ 1.\n' });
    const tokens = join(home, 'tokens.txt');
    writeFileSync(tokens, 'sim-0 abc\n');
    const missing = await runZdfu(
      ['gateway', '--hawkbit', 'http://127.0.0.1:9', '--target-tokens', tokens, '--sim', '2', ...quick],
      env,
    );
    expect(missing.err).toBe(
      `Error: The target token file ${tokens} has no token for sim-1; add a line "controllerId token" for each, or use --gateway-token.\n`,
    );
    const ble = await runZdfu(
      ['gateway', '--hawkbit', 'http://127.0.0.1:9', '--ble-scan', '1', '--hci', `uart:${home}/no-dongle`],
      env,
    );
    expect(ble.err).toMatch(
      new RegExp(`^Error: The BLE scan failed: no HCI controller at ${home}/no-dongle`),
    );
    const unknown = await runZdfu(['gateway', '--hawkbit', 'http://127.0.0.1:9', '--profile', 'nope'], env);
    expect(unknown.err).toMatch(/^Error: Unknown connection profile "nope"/);
  });

  it('a wrong gateway token: one clear error and exit 1, no stack trace', async () => {
    ddi = await startFakeDdi({ auth: 'gateway', gatewayToken: GATEWAY_TOKEN, pollSleep: '00:00:00' });
    const run = await runZdfu(
      ['gateway', '--hawkbit', ddi.url, '--gateway-token', 'not-the-key', '--sim', '2', ...quick],
      { ZDFU_HOME: home },
    );
    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      new RegExp(
        `^Error: hawkBit at ${ddi.url} refused every device's poll \\(HTTP 401\\): check the gateway token`,
      ),
    );
    expect(run.err).not.toMatch(/\n\s+at /);
  });

  it('updates a board reached over real UDP through a connection profile, and prints the fleet at the end', async () => {
    ddi = await startFakeDdi({ auth: 'gateway', gatewayToken: GATEWAY_TOKEN, pollSleep: '00:00:00' });
    sim = await startSim({ udp: '127.0.0.1:0', flashTimeScale: 0 });
    const env = { ZDFU_HOME: home };
    const added = await runZdfu(
      ['conn', 'add', 'desk-board', 'type=udp', `connstring=127.0.0.1:${sim.udp!.port}`],
      env,
    );
    expect(added.code).toBe(0);
    const [actionId] = ddi.assign(['desk-board'], distribution(await binaryTwo())).values();
    const run = await runZdfu(
      [
        'gateway',
        '--hawkbit',
        ddi.url,
        '--gateway-token',
        GATEWAY_TOKEN,
        '--all-profiles',
        '--stop-after',
        '3',
        ...quick,
      ],
      env,
    );
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(ddi.actionStatus(actionId!)).toBe('finished');
    expect(run.out).toMatch(
      /speaking for 1 device to http:\/\/127\.0\.0\.1:\d+ \(gateway token, 4 at once\); Ctrl-C stops/,
    );
    expect(run.out).toMatch(
      /desk-board: action 1: installed: UDP 127\.0\.0\.1:\d+ runs image 2\.0\.0, confirmed/,
    );
    expect(run.out).toMatch(/\nCONTROLLER +PHASE +VERSION +LAST\ndesk-board +done +2\.0\.0 +installed: /);
  });
  it('--dashboard serves the Fleet view of this gateway: the printed URL gives a page its devices', async () => {
    ddi = await startFakeDdi({ auth: 'gateway', gatewayToken: GATEWAY_TOKEN, pollSleep: '00:00:00' });
    const stop = new AbortController();
    let out = '';
    const running = runCli(
      [
        'gateway',
        '--hawkbit',
        ddi.url,
        '--gateway-token',
        GATEWAY_TOKEN,
        '--sim',
        '2',
        '--dashboard',
        ...quick,
      ],
      {
        stdout: { write: (t: string | Uint8Array) => (out += String(t)) },
        stderr: { write: (t: string) => (out += t) },
        env: { ZDFU_HOME: home },
        signal: stop.signal,
      },
    );
    await until(() => /Fleet view: http/.test(out), 'the Fleet view URL', 15_000);
    const match = /Fleet view: (http:\/\/127\.0\.0\.1:\d+)\/#token=([A-Za-z0-9_-]+)&view=fleet/.exec(out);
    expect(match, out).not.toBeNull();
    const [, origin, token] = match!;
    const page = await fetch(`${origin}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const snapshots: FleetSnapshot[] = [];
    const watching = await watchServeFleet(
      { url: origin!, token: token!, WebSocket: pageSocket(origin) },
      { onStatus: (s) => snapshots.push(s), onEnd: () => undefined },
    );
    await until(() => snapshots.at(-1)?.devices.length === 2, 'the two boards on the page', 10_000);
    expect(
      snapshots
        .at(-1)
        ?.devices.map((d) => d.controllerId)
        .sort(),
    ).toEqual(['sim-0', 'sim-1']);
    watching.close();
    stop.abort();
    expect(await running).toBe(0);
    await expect(fetch(`${origin}/`)).rejects.toThrow();
  });
});
