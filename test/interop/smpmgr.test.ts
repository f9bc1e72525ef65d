/**
 * The user's DFU story told by the real smpmgr CLI (intercreate, from PyPI) to the virtual
 * board, over its PTY and over UDP: if smpmgr can do it, a Zephyr SMP client can.
 * smpmgr prints Python reprs, so exact slot flags are read back with smpclient (smpclient_ops.py).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BINARY_ONE,
  BINARY_TWO,
  type InteropSim,
  imageHash,
  nextBoot,
  parseImageStateReprs,
  readStates,
  slotSummary,
  smpclientOps,
  smpmgr,
  startInteropSim,
} from './smp-harness.ts';

const LINKS = ['serial', 'udp'] as const;

describe.each(LINKS)('smpmgr over %s', (linkName) => {
  let sim: InteropSim;
  const link = () => sim[linkName];
  const hashOne = imageHash(BINARY_ONE);
  const hashTwo = imageHash(BINARY_TWO);

  beforeAll(async () => {
    sim = await startInteropSim(0);
  });
  afterAll(async () => {
    await sim?.handle.close();
  });

  it('echoes', async () => {
    const output = await smpmgr(link(), ['os', 'echo', 'hello from smpmgr']);
    expect(output).toContain("r='hello from smpmgr'");
  });

  it('reports the MCUmgr params smpclient sizes its frames by', async () => {
    // smpmgr has no params command; smpclient reads them on every connect.
    const [params] = await smpclientOps(link(), ['params']);
    // A sim serving UDP is a UDP build: transport/Kconfig's 2048/2.
    expect(params).toEqual({ op: 'params', buf_size: 2048, buf_count: 2 });
  });

  it('lists Binary One in slot 0, active and confirmed', async () => {
    const states = parseImageStateReprs(await smpmgr(link(), ['image', 'state-read']));
    expect(states).toEqual([
      expect.objectContaining({
        slot: '0',
        version: '1.0.0',
        hash: hashOne,
        bootable: 'True',
        pending: 'False',
        confirmed: 'True',
        active: 'True',
        permanent: 'False',
      }),
    ]);
  });

  it('uploads Binary Two into slot 1 with no flags', async () => {
    await smpmgr(link(), ['image', 'upload', BINARY_TWO]);
    const states = parseImageStateReprs(await smpmgr(link(), ['image', 'state-read']));
    expect(states[1]).toEqual(
      expect.objectContaining({
        slot: '1',
        version: '2.0.0',
        hash: hashTwo,
        pending: 'False',
        confirmed: 'False',
        active: 'False',
      }),
    );
  });

  it('marks Binary Two for test by its hash (state-write)', async () => {
    const output = await smpmgr(link(), ['image', 'state-write', hashTwo]);
    expect(output).not.toMatch(/Error|rc=/);
    expect(slotSummary(await readStates(link()))).toEqual([
      'slot 0 1.0.0 active confirmed',
      'slot 1 2.0.0 pending',
    ]);
  });

  it('resets; MCUboot swaps: slot 0 Binary Two active, slot 1 Binary One confirmed', async () => {
    const booted = nextBoot(sim.handle);
    await smpmgr(link(), ['os', 'reset']);
    expect((await booted).booted).toBe(true);
    const states = await readStates(link());
    expect(slotSummary(states)).toEqual(['slot 0 2.0.0 active', 'slot 1 1.0.0 confirmed']);
    expect(states.map((state) => state.hash)).toEqual([hashTwo, hashOne]);
  });

  it('confirms the running image (state-write --confirm)', async () => {
    await smpmgr(link(), ['image', 'state-write', '--confirm']);
    expect(slotSummary(await readStates(link()))).toEqual(['slot 0 2.0.0 active confirmed', 'slot 1 1.0.0']);
  });

  it('upgrade --confirm: uploads, confirms by hash and resets into Binary One for good', async () => {
    const booted = nextBoot(sim.handle);
    await smpmgr(link(), ['upgrade', '--confirm', BINARY_ONE]);
    expect((await booted).booted).toBe(true);
    expect(slotSummary(await readStates(link()))).toEqual(['slot 0 1.0.0 active confirmed', 'slot 1 2.0.0']);
  });

  it('upgrade without --confirm to slot 0 uploads and resets but marks nothing, so nothing swaps', async () => {
    // smpmgr only marks the image when --slot is not 0 or --confirm is given (smpmgr main.py).
    const booted = nextBoot(sim.handle);
    await smpmgr(link(), ['upgrade', BINARY_TWO]);
    expect((await booted).booted).toBe(true);
    expect(slotSummary(await readStates(link()))).toEqual(['slot 0 1.0.0 active confirmed', 'slot 1 2.0.0']);
  });

  // Zephyr's img_mgmt_state_write only calls smp_add_cmd_err, so the reply is {"err": {group, rc}}
  // with no "rsn" (smp.c adds "rsn" only in smp_build_err_rsp, next to a bare "rc"). smpclient's
  // ErrorV2 model forbids extra keys: an extra "rsn" (as the sim once sent) makes it raise
  // SMPValidationException and smpmgr print a traceback instead of the error.
  it('answers a test of an unknown hash with an image-group error smpclient decodes', async () => {
    const [result] = await smpclientOps(link(), ['test', 'ab'.repeat(32)]);
    expect(result).toMatchObject({ op: 'test', group: 1, rc: 8 });
  });
});
