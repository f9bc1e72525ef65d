import { afterEach, describe, expect, it } from 'vitest';
import { DeviceClient } from '../../src/client/device.ts';
import { DfuError, type DfuOptions, type DfuStep, runDfu } from '../../src/client/dfu.ts';
import { sha256 } from '../../src/client/upload.ts';
import { getBoard } from '../../src/device/boards/index.ts';
import type { VirtualDevice } from '../../src/device/device.ts';
import { GroupError } from '../../src/device/server/mgmt-error.ts';
import { SmpServer } from '../../src/device/server/smp-server.ts';
import { generateKey, loadSigningKey } from '../../src/image/keys.ts';
import { signImage } from '../../src/image/sign.ts';
import { SmpGroup } from '../../src/smp/group-ids.ts';
import { imageUpload } from '../../src/smp/groups/image.ts';
import { shellExec } from '../../src/smp/groups/shell.ts';
import { decodeRawHeader } from '../../src/smp/header.ts';
import { createMemoryLink } from '../../src/transport/memory.ts';
import { type BootedDevice, blinky, bootDevice } from '../device/server/fixtures.ts';
import { imageHash, signedFixture } from '../helpers/signed-fixture.ts';

let booted: BootedDevice | undefined;
const extraClients: DeviceClient[] = [];

afterEach(async () => {
  await Promise.all(extraClients.splice(0).map((c) => c.close()));
  await booted?.close();
  booted = undefined;
});

const fast: DfuOptions = { pollIntervalMs: 50, pollTimeoutMs: 200, rebootTimeoutMs: 5000, settleMs: 300 };
const resetOnFatal = { ...getBoard('stm32f4_disco'), app: { resetOnFatalError: true } };

function slot<T extends { slot: number }>(state: { images: T[] }, n: number): T | undefined {
  return state.images.find((i) => i.slot === n);
}

async function dfuError(promise: Promise<unknown>): Promise<DfuError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DfuError);
  return error as DfuError;
}

describe('runDfu against the virtual device', () => {
  it('uploads, tests, resets, watches the new image, and confirms it', async () => {
    booted = await bootDevice();
    const steps: DfuStep['kind'][] = [];
    const result = await runDfu(booted.client, await blinky('blinky-two'), {
      ...fast,
      onStep: (s) => steps.push(s.kind),
    });
    expect(steps).toEqual(['uploaded', 'marked', 'reset', 'back', 'watching', 'healthy', 'confirmed']);
    expect(slot(result.state, 0)).toMatchObject({ version: '2.0.0', active: true, confirmed: true });
    expect(booted.device.lastBoot?.log.join('\n')).toContain('Swap type: test');
  });

  it('does nothing but report when the image already runs', async () => {
    booted = await bootDevice();
    const steps: DfuStep['kind'][] = [];
    await runDfu(booted.client, await blinky('blinky-one'), { ...fast, onStep: (s) => steps.push(s.kind) });
    expect(steps).toEqual(['already-running']);
  });

  it('leaves a test-only update unconfirmed, so the next reset reverts', async () => {
    booted = await bootDevice();
    const result = await runDfu(booted.client, await blinky('blinky-two'), { ...fast, mode: 'test-only' });
    expect(slot(result.state, 0)).toMatchObject({ version: '2.0.0', active: true, confirmed: false });
    await booted.reset();
    const after = await booted.client.imageList();
    expect(slot(after, 0)).toMatchObject({ version: '1.0.0', active: true, confirmed: true });
  });

  it('fails in words, never reporting success, when MCUboot refuses the image', async () => {
    booted = await bootDevice();
    const stranger = await loadSigningKey((await generateKey('rsa-2048')).privatePem);
    const payload = await blinky('blinky-two', 'bin');
    const foreign = await signImage(payload, {
      key: stranger,
      headerSize: 0x200,
      slotSize: 0x60000,
      version: '3.0.0',
    });
    const error = await dfuError(runDfu(booted.client, foreign, fast));
    expect(error.message).toMatch(/runs version 1\.0\.0, not the uploaded 3\.0\.0: MCUboot refused it/);
    expect(error.fault).toBe('device');
    const state = await booted.client.imageList();
    expect(slot(state, 0)).toMatchObject({ version: '1.0.0', active: true, confirmed: true });
  });
});

describe('runDfu: which failures are whose', () => {
  it("a file without a SHA256 TLV is the user's problem (fault 'local'), found before any upload", async () => {
    booted = await bootDevice();
    const key = await loadSigningKey((await generateKey('ecdsa-p384')).privatePem);
    const sha384 = await signImage(await blinky('blinky-two', 'bin'), {
      key,
      headerSize: 0x200,
      slotSize: 0x60000,
      version: '3.0.0',
    });
    const error = await dfuError(runDfu(booted.client, sha384, fast));
    expect(error.fault).toBe('local');
    expect(error.message).toMatch(/no image hash \(SHA256 TLV\)/);
    expect(slot(await booted.client.imageList(), 1)).toBeUndefined();
  });
});

describe('runDfu: an image that answers SMP is not yet a healthy one', () => {
  it('a crash at start on a board that resets on fatal errors: MCUboot reverts, dfu says so', async () => {
    booted = await bootDevice({ board: resetOnFatal });
    const error = await dfuError(runDfu(booted.client, await signedFixture('crash-at-start', '3.0.0'), fast));
    expect(error.fault).toBe('device');
    expect(error.message).toMatch(/runs version 1\.0\.0, not the uploaded 3\.0\.0: MCUboot reverted it/);
    expect(booted.consoleLines.join('\n')).toContain('Resetting system');
    const state = await booted.client.imageList();
    expect(slot(state, 0)).toMatchObject({ version: '1.0.0', active: true, confirmed: true });
    expect(slot(state, 1)).toMatchObject({ version: '3.0.0', confirmed: false, pending: false });
  });

  it('a crash a second after boot halts the board: not confirmed, and dfu says how to revert', async () => {
    booted = await bootDevice();
    const steps: DfuStep[] = [];
    const crash = await signedFixture('crash-after-a-second', '3.0.0');
    const error = await dfuError(
      runDfu(booted.client, crash, { ...fast, settleMs: 4000, onStep: (s) => steps.push(s) }),
    );
    expect(steps.map((s) => s.kind)).toEqual([
      'uploaded',
      'marked',
      'reset',
      'back',
      'watching',
      'unhealthy',
      'reverting',
    ]);
    expect(error.fault).toBe('device');
    expect(error.message).toMatch(
      /image 3\.0\.0 is not healthy: it stopped answering between \d+\.\d and \d+\.\d s after it booted/,
    );
    expect(error.message).toMatch(/took no reset .*MCUboot will then go back to version 1\.0\.0/);
    expect(booted.device.state).toBe('halted');
    // The reset button: MCUboot reverts the unconfirmed image.
    await booted.reset();
    const state = await booted.client.imageList();
    expect(slot(state, 0)).toMatchObject({ version: '1.0.0', active: true, confirmed: true });
  }, 15_000);

  it('a crash a second after boot on a reset-on-fatal board: seen as a reboot back to the old image', async () => {
    booted = await bootDevice({ board: resetOnFatal });
    const crash = await signedFixture('crash-after-a-second', '3.0.0');
    const error = await dfuError(runDfu(booted.client, crash, { ...fast, settleMs: 4000 }));
    expect(error.message).toMatch(/is not healthy: .*runs version 1\.0\.0 again/);
    expect(error.message).toMatch(/MCUboot went back to 1\.0\.0/);
    expect(slot(await booted.client.imageList(), 0)).toMatchObject({ version: '1.0.0', confirmed: true });
  }, 15_000);

  it('a statistic that does not rise fails the check; the image is reset away and the old one runs', async () => {
    booted = await bootDevice();
    const steps: DfuStep[] = [];
    const stalls = await signedFixture('stat-stalls', '3.0.0');
    const error = await dfuError(
      runDfu(booted.client, stalls, {
        ...fast,
        checks: [{ kind: 'stat-rises', group: 'smp_server_stats', field: 'counter_stat' }],
        onStep: (s) => steps.push(s),
      }),
    );
    expect(error.fault).toBe('device');
    expect(error.message).toMatch(
      /statistic smp_server_stats\.counter_stat did not rise in 0\.3 s \(still 1\)/,
    );
    expect(error.message).toMatch(/MCUboot went back to 1\.0\.0, which runs again/);
    expect(steps.at(-1)).toEqual({ kind: 'reverted', version: '1.0.0' });
    const state = await booted.client.imageList();
    expect(slot(state, 0)).toMatchObject({ version: '1.0.0', active: true, confirmed: true });
  });

  it('a rising statistic passes, and a missing one fails', async () => {
    booted = await bootDevice();
    const steps: DfuStep[] = [];
    await runDfu(booted.client, await blinky('blinky-two'), {
      ...fast,
      checks: [{ kind: 'stat-rises', group: 'smp_server_stats', field: 'counter_stat' }],
      onStep: (s) => steps.push(s),
    });
    const healthy = steps.find((s) => s.kind === 'healthy');
    expect(healthy).toMatchObject({ passed: [expect.stringMatching(/counter_stat rose from \d+ to \d+/)] });

    await booted.close();
    booted = await bootDevice();
    const error = await dfuError(
      runDfu(booted.client, await blinky('blinky-two'), {
        ...fast,
        checks: [{ kind: 'stat-rises', group: 'app', field: 'loops' }],
      }),
    );
    expect(error.message).toMatch(/has no statistic app\.loops/);
  });

  it('--no-revert leaves the unhealthy image running unconfirmed', async () => {
    booted = await bootDevice();
    const stalls = await signedFixture('stat-stalls', '3.0.0');
    const error = await dfuError(
      runDfu(booted.client, stalls, {
        ...fast,
        revert: false,
        checks: [{ kind: 'stat-rises', group: 'smp_server_stats', field: 'counter_stat' }],
      }),
    );
    expect(error.message).toMatch(
      /not confirmed \(--no-revert\): the next reset makes MCUboot go back to version 1\.0\.0/,
    );
    expect(slot(await booted.client.imageList(), 0)).toMatchObject({ version: '3.0.0', confirmed: false });
  });
});

/**
 * The sim has no shell group yet, so a real SmpServer with a shell handler answers group 9 and the
 * virtual device everything else, on one in-memory link.
 */
function withShell(
  device: VirtualDevice,
  commands: Record<string, { o: string; ret: number }>,
): DeviceClient {
  const shell = new SmpServer({ netbufSize: 2048, verboseErrors: true });
  shell.register(shellExec, (request) => {
    if (request.argv.length === 0) throw new GroupError(SmpGroup.Shell, 3, 'empty command');
    return commands[request.argv.join(' ')] ?? { o: `${request.argv[0]}: command not found`, ret: -8 };
  });
  const [clientEnd, deviceEnd] = createMemoryLink({ mtu: 1024 });
  deviceEnd.onPacket((packet) => {
    const server = decodeRawHeader(packet, 0).group === SmpGroup.Shell ? shell : undefined;
    const answer = server ? server.handlePacket(packet) : device.handleDatagram(packet);
    void answer.then(async (responses) => {
      for (const response of responses) await deviceEnd.send(response);
    });
  });
  const client = new DeviceClient(clientEnd, { timeoutMs: 2000, retries: 0 });
  extraClients.push(client);
  return client;
}

describe('shell checks (SMP shell group 9, command 0)', () => {
  it('DeviceClient.shellExec returns the output and the return value; an empty line is refused', async () => {
    booted = await bootDevice();
    const client = withShell(booted.device, { 'app status': { o: 'all good\n', ret: 0 } });
    expect(await client.shellExec(['app', 'status'])).toEqual({ output: 'all good\n', ret: 0 });
    expect(await client.shellExec(['app', 'nope'])).toEqual({ output: 'app: command not found', ret: -8 });
    await expect(client.shellExec([])).rejects.toThrow(/empty shell command \(EMPTY_COMMAND, group 9 rc 3\)/);
  });

  it('confirms when the command returns 0, reverts when it fails', async () => {
    booted = await bootDevice();
    const ok = withShell(booted.device, { 'app status': { o: 'ok', ret: 0 } });
    const steps: DfuStep[] = [];
    await runDfu(ok, await blinky('blinky-two'), {
      ...fast,
      checks: [{ kind: 'shell', argv: ['app', 'status'] }],
      onStep: (s) => steps.push(s),
    });
    expect(steps.find((s) => s.kind === 'healthy')).toMatchObject({
      passed: ['shell command "app status" returned 0'],
    });
    expect(steps.at(-1)?.kind).toBe('confirmed');

    await booted.close();
    booted = await bootDevice();
    const failing = withShell(booted.device, { 'app status': { o: 'sensor missing\n', ret: -5 } });
    const error = await dfuError(
      runDfu(failing, await blinky('blinky-two'), {
        ...fast,
        checks: [{ kind: 'shell', argv: ['app', 'status'] }],
      }),
    );
    expect(error.message).toMatch(/the shell command "app status" returned -5: sensor missing/);
    expect(error.message).toMatch(/MCUboot went back to 1\.0\.0, which runs again/);
  });

  it('a device without the shell group fails the check in words', async () => {
    booted = await bootDevice();
    const error = await dfuError(
      runDfu(booted.client, await blinky('blinky-two'), {
        ...fast,
        checks: [{ kind: 'shell', argv: ['app'] }],
      }),
    );
    expect(error.message).toMatch(/the shell command "app" could not run: .*not supported/);
  });
});

/** Sends the first `cut` bytes of `image` as an upload and stops, as a dropped link would. */
async function partialUpload(client: DeviceClient, image: Uint8Array, cut: number): Promise<void> {
  const sha = await sha256(image);
  for (let off = 0; off < cut; ) {
    const data = image.subarray(off, Math.min(off + 400, cut));
    const first = off === 0 ? { len: image.length, sha, image: 0 } : {};
    const answer = await client.smp.request(imageUpload, { off, data, ...first });
    off = answer.off;
  }
}

describe('runDfu: "already uploaded" only when the device proves it', () => {
  it('an upload that stopped inside the TLV area lists with the right hash, yet dfu resumes it', async () => {
    booted = await bootDevice();
    const two = await blinky('blinky-two');
    // The RSA-2048 signature TLV is the last 260 bytes: stop 100 bytes short, inside it.
    await partialUpload(booted.client, two, two.length - 100);
    const listed = slot(await booted.client.imageList(), 1);
    expect(listed?.version).toBe('2.0.0');
    expect(listed?.hash).toEqual(imageHash(two));

    const steps: DfuStep[] = [];
    const result = await runDfu(booted.client, two, { ...fast, onStep: (s) => steps.push(s) });
    const uploaded = steps[0];
    expect(uploaded?.kind).toBe('uploaded');
    // The device still held the session: the engine sent the first chunk and then only the rest.
    expect(uploaded?.kind === 'uploaded' && uploaded.result.requests).toBeLessThanOrEqual(3);
    expect(slot(result.state, 0)).toMatchObject({ version: '2.0.0', active: true, confirmed: true });
  });

  it('the same cut slot after a reboot (session gone) is uploaded again in full', async () => {
    booted = await bootDevice();
    const two = await blinky('blinky-two');
    await partialUpload(booted.client, two, two.length - 100);
    await booted.reset();
    expect(slot(await booted.client.imageList(), 1)).toMatchObject({ version: '2.0.0' });

    const steps: DfuStep[] = [];
    const result = await runDfu(booted.client, two, { ...fast, onStep: (s) => steps.push(s) });
    expect(steps.map((s) => s.kind).slice(0, 2)).toEqual(['uploaded', 'marked']);
    expect(booted.device.lastBoot?.log.join('\n')).toContain('Swap type: test');
    expect(slot(result.state, 0)).toMatchObject({ version: '2.0.0', active: true, confirmed: true });
  });

  it('a slot the device hashes as this very file is not sent again', async () => {
    booted = await bootDevice();
    const two = await blinky('blinky-two');
    await booted.client.imageUpload(two);
    const steps: DfuStep['kind'][] = [];
    const result = await runDfu(booted.client, two, { ...fast, onStep: (s) => steps.push(s.kind) });
    expect(steps.slice(0, 2)).toEqual(['already-uploaded', 'marked']);
    expect(slot(result.state, 0)).toMatchObject({ version: '2.0.0', confirmed: true });
  });

  it('MCUboot refusing an image the device vouched for: one fresh upload and retry, then the error', async () => {
    booted = await bootDevice();
    const stranger = await loadSigningKey((await generateKey('rsa-2048')).privatePem);
    const foreign = await signImage(await blinky('blinky-two', 'bin'), {
      key: stranger,
      headerSize: 0x200,
      slotSize: 0x60000,
      version: '3.0.0',
    });
    await booted.client.imageUpload(foreign);
    const steps: DfuStep['kind'][] = [];
    const error = await dfuError(
      runDfu(booted.client, foreign, { ...fast, onStep: (s) => steps.push(s.kind) }),
    );
    expect(steps).toEqual([
      'already-uploaded',
      'marked',
      'reset',
      'back',
      'retry',
      'uploaded',
      'marked',
      'reset',
      'back',
    ]);
    expect(error.message).toMatch(/MCUboot refused it/);
  });
});
