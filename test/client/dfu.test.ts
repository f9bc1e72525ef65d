import { afterEach, describe, expect, it } from 'vitest';
import { type DfuStep, runDfu } from '../../src/client/dfu.ts';
import { generateKey, loadSigningKey } from '../../src/image/keys.ts';
import { signImage } from '../../src/image/sign.ts';
import { type BootedDevice, blinky, bootDevice } from '../device/server/fixtures.ts';
import { dfuError, fast, slot } from './dfu-helpers.ts';

let booted: BootedDevice | undefined;

afterEach(async () => {
  await booted?.close();
  booted = undefined;
});

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
