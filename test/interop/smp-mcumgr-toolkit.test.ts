/**
 * A second, independent SMP client against the virtual board: Finomnis' mcumgr-toolkit (Rust
 * core, Python API from PyPI; test/interop/py/toolkit_ops.py), over the PTY and over UDP.
 * Its high-level `firmware_update` detects MCUboot, parses the image, uploads, marks and reboots.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BINARY_ONE,
  BINARY_TWO,
  type InteropSim,
  imageHash,
  nextBoot,
  type PeerImageState,
  type PeerOpResult,
  slotSummary,
  startInteropSim,
  toolkitOps,
} from './smp-harness.ts';

const LINKS = ['serial', 'udp'] as const;

function imagesOf(result: PeerOpResult | undefined): PeerImageState[] {
  if (!result || !('images' in result)) throw new Error(`no image list in ${JSON.stringify(result)}`);
  return result.images;
}

describe.each(LINKS)('mcumgr-toolkit over %s', (linkName) => {
  let sim: InteropSim;
  const link = () => sim[linkName];
  const hashTwo = imageHash(BINARY_TWO);

  beforeAll(async () => {
    sim = await startInteropSim(0);
  });
  afterAll(async () => {
    await sim?.handle.close();
  });

  // mcumgr-toolkit sends echo as a READ (header byte 0x08: v2, op 0), and so does its
  // check_connection. Zephyr's os_mgmt registers os_mgmt_echo as both the read and the write
  // handler, so it must echo (the sim once answered ENOTSUP here).
  it('echoes (the toolkit sends echo as a read)', async () => {
    const [echo] = await toolkitOps(link(), ['echo', 'hello from the toolkit']);
    expect(echo).toEqual({ op: 'echo', r: 'hello from the toolkit' });
  });

  it('reads params and the image list', async () => {
    const [params, state] = await toolkitOps(link(), ['params', 'state']);
    // A sim serving UDP is a UDP build: transport/Kconfig's 2048/2.
    expect(params).toEqual({ op: 'params', buf_size: 2048, buf_count: 2 });
    expect(slotSummary(imagesOf(state))).toEqual(['slot 0 1.0.0 active confirmed']);
  });

  it('uploads Binary Two, tests it, and the reset swaps it in', async () => {
    const [upload, test] = await toolkitOps(link(), ['upload', BINARY_TWO, 'test', hashTwo]);
    expect(upload).toMatchObject({ op: 'upload', final_off: readFileSync(BINARY_TWO).length });
    expect(slotSummary(imagesOf(test))).toEqual(['slot 0 1.0.0 active confirmed', 'slot 1 2.0.0 pending']);

    const booted = nextBoot(sim.handle);
    expect(await toolkitOps(link(), ['reset'])).toEqual([{ op: 'reset' }]);
    expect((await booted).booted).toBe(true);

    const [confirm] = await toolkitOps(link(), ['confirm']);
    expect(slotSummary(imagesOf(confirm))).toEqual(['slot 0 2.0.0 active confirmed', 'slot 1 1.0.0']);
  });

  it('firmware_update (force_confirm) takes the board back to Binary One', async () => {
    const booted = nextBoot(sim.handle);
    const [update] = await toolkitOps(link(), ['update-confirm', BINARY_ONE]);
    expect(update).not.toHaveProperty('error');
    expect(update && 'steps' in update ? update.steps : []).toContain('Found bootloader: MCUboot');
    expect((await booted).booted).toBe(true);
    const [state] = await toolkitOps(link(), ['state']);
    expect(slotSummary(imagesOf(state))).toEqual(['slot 0 1.0.0 active confirmed', 'slot 1 2.0.0']);
  });
});
