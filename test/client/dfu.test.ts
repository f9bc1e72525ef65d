import { afterEach, describe, expect, it } from 'vitest';
import { DfuError, type DfuStep, runDfu } from '../../src/client/dfu.ts';
import { generateKey, loadSigningKey } from '../../src/image/keys.ts';
import { signImage } from '../../src/image/sign.ts';
import { type BootedDevice, blinky, bootDevice } from '../device/server/fixtures.ts';

let booted: BootedDevice | undefined;

afterEach(async () => {
  await booted?.close();
  booted = undefined;
});

const fast = { pollIntervalMs: 50, pollTimeoutMs: 200, rebootTimeoutMs: 5000 };

describe('runDfu against the virtual device', () => {
  it('uploads, tests, resets, and confirms the new image', async () => {
    booted = await bootDevice();
    const steps: DfuStep['kind'][] = [];
    const result = await runDfu(booted.client, await blinky('blinky-two'), {
      ...fast,
      onStep: (s) => steps.push(s.kind),
    });
    expect(steps).toEqual(['uploaded', 'marked', 'reset', 'back', 'confirmed']);
    const slot0 = result.state.images.find((i) => i.slot === 0);
    expect(slot0).toMatchObject({ version: '2.0.0', active: true, confirmed: true });
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
    expect(result.state.images.find((i) => i.slot === 0)).toMatchObject({
      version: '2.0.0',
      active: true,
      confirmed: false,
    });
    await booted.reset();
    const after = await booted.client.imageList();
    expect(after.images.find((i) => i.slot === 0)).toMatchObject({
      version: '1.0.0',
      active: true,
      confirmed: true,
    });
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
    const failure = runDfu(booted.client, foreign, fast);
    await expect(failure).rejects.toBeInstanceOf(DfuError);
    await expect(failure).rejects.toThrow(/runs version 1\.0\.0, not the uploaded 3\.0\.0/);
    const state = await booted.client.imageList();
    expect(state.images.find((i) => i.slot === 0)).toMatchObject({
      version: '1.0.0',
      active: true,
      confirmed: true,
    });
  });
});
