import { describe, expect, it } from 'vitest';
import { DeviceClient } from '../../src/client/device.ts';
import { SmpError, SmpTimeoutError } from '../../src/smp/errors.ts';
import type { ConnTarget } from '../../src/transport/kinds/kind.ts';
import { slotState } from '../helpers/slot-state.ts';
import { buildTestImage, FakeSmpDevice, testImageHash } from './fake-smp-device.ts';

function slot(
  slotNumber: number,
  hash: Uint8Array,
  flags: Partial<Record<'active' | 'confirmed' | 'pending', boolean>>,
) {
  return slotState(slotNumber, '1.0.0', hash, flags);
}

describe('DeviceClient', () => {
  it('opens the link through the given opener', async () => {
    const device = new FakeSmpDevice();
    const targets: ConnTarget[] = [];
    const client = await DeviceClient.connect(
      { type: 'udp', host: 'localhost', port: 1337 },
      async (target) => {
        targets.push(target);
        return device.client;
      },
    );
    expect(await client.echo('hello')).toBe('hello');
    expect(targets).toEqual([{ type: 'udp', host: 'localhost', port: 1337 }]);
    await client.close();
    expect(device.client.isClosed).toBe(true);
  });

  it('reads params, stats and the image list as typed values', async () => {
    const device = new FakeSmpDevice({ params: { buf_size: 384, buf_count: 4 } });
    const hash = testImageHash(buildTestImage(100));
    device.images = [slot(0, hash, { active: true, confirmed: true })];
    const client = new DeviceClient(device.client);
    expect(await client.params()).toEqual({ buf_size: 384, buf_count: 4 });
    expect(await client.statList()).toEqual(['smp_svr_stats']);
    expect(await client.statShow('smp_svr_stats')).toEqual({ name: 'smp_svr_stats', fields: { ticks: 7 } });
    const list = await client.imageList();
    expect(list.images[0]).toMatchObject({ slot: 0, active: true, confirmed: true, pending: false });
    expect(list.images[0]?.hash).toEqual(hash);
  });

  it('marks an image for test by hash and reports device errors in words with numbers', async () => {
    const device = new FakeSmpDevice();
    const hash = testImageHash(buildTestImage(100));
    device.images = [slot(1, hash, {})];
    const client = new DeviceClient(device.client);
    const state = await client.imageTest(hash);
    expect(state.images[0]?.pending).toBe(true);
    const unknown = client.imageTest(new Uint8Array(32));
    await expect(unknown).rejects.toBeInstanceOf(SmpError);
    await expect(unknown).rejects.toThrow(/no image with that hash \(HASH_NOT_FOUND, group 1 rc 8\)/);
  });

  it('never retries reset, even when the reply is lost', async () => {
    const device = new FakeSmpDevice();
    device.silent = true;
    const client = new DeviceClient(device.client, { timeoutMs: 20, retries: 3 });
    await expect(client.reset()).rejects.toBeInstanceOf(SmpTimeoutError);
    expect(device.resets).toBe(1);
    expect(device.received).toEqual(['0/5']);
  });

  it('retries idempotent requests after a timeout', async () => {
    const device = new FakeSmpDevice();
    device.silent = true;
    const client = new DeviceClient(device.client, { timeoutMs: 20, retries: 2 });
    await expect(client.statList()).rejects.toBeInstanceOf(SmpTimeoutError);
    expect(device.received).toEqual(['2/1', '2/1', '2/1']);
  });

  it('falls back to the link MTU when the device does not implement mcumgr params', async () => {
    const device = new FakeSmpDevice({ mtu: 256 });
    const params = await new DeviceClient(device.client).uploadLink().bufferParams?.();
    expect(params).toBeUndefined();
  });
});
