/**
 * intercreate smpclient's own upload routine (async API, test/interop/py/smpclient_ops.py)
 * against the virtual board: it reads the MCUmgr params to size its frames, sends the SHA in
 * the first chunk, follows the device's `off` and checks `match` at the end when the device sends
 * one (smp_svr does not: CONFIG_IMG_ENABLE_IMAGE_CHECK is off).
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { getBoard } from '../../src/device/boards/index.ts';
import { builtFor, smpServerBuild } from '../../src/device/server/build-config.ts';
import {
  BINARY_ONE,
  BINARY_TWO,
  type InteropSim,
  imageHash,
  type PeerLink,
  slotSummary,
  smpclientOps,
  startInteropSim,
} from './smp-harness.ts';

const CASES: Array<{ name: string; baud: number; link: (sim: InteropSim) => PeerLink }> = [
  { name: 'serial (PTY), unpaced', baud: 0, link: (sim) => sim.serial },
  { name: 'serial (PTY) at 115200 baud', baud: 115200, link: (sim) => sim.serial },
  { name: 'UDP', baud: 0, link: (sim) => sim.udp },
];

describe.each(CASES)('smpclient upload over $name', ({ baud, link }) => {
  let sim: InteropSim | undefined;
  afterEach(async () => {
    await sim?.handle.close();
    sim = undefined;
  });

  it('uploads Binary Two into slot 1 (no match: image check is off in smp_svr) and lists it', async () => {
    sim = await startInteropSim(baud);
    const size = readFileSync(BINARY_TWO).length;
    const [params, upload, state] = await smpclientOps(link(sim), ['params', 'upload', BINARY_TWO, 'state']);

    // A sim serving UDP is a UDP build: transport/Kconfig's 2048/2.
    expect(params).toEqual({ op: 'params', buf_size: 2048, buf_count: 2 });
    expect(upload).toMatchObject({ op: 'upload', size, final_off: size, match: null });
    expect(state).toMatchObject({ op: 'state' });
    const images = state && 'images' in state ? state.images : [];
    expect(slotSummary(images)).toEqual(['slot 0 1.0.0 active confirmed', 'slot 1 2.0.0']);
    expect(images.map((image) => image.hash)).toEqual([imageHash(BINARY_ONE), imageHash(BINARY_TWO)]);
  });
});

describe('smpclient frame sizing on the serial link', () => {
  it('fills the netbuf the device advertises: no more requests than that allows', async () => {
    const sim = await startInteropSim(0);
    try {
      const size = readFileSync(BINARY_TWO).length;
      const [upload] = await smpclientOps(sim.serial, ['upload', BINARY_TWO]);
      expect(upload).toMatchObject({ op: 'upload', match: null });
      // Each chunk is at most buf_size − 4 (length + CRC) − 8 (SMP header) − CBOR keys (and the
      // first also carries len and sha); a device that dropped the full-size frames smpclient
      // sends would make this time out.
      const bufSize = smpServerBuild(builtFor(getBoard('stm32f4_disco'), { udp: true })).netbufSize;
      const requests = upload && 'requests' in upload ? upload.requests : Number.NaN;
      expect(requests).toBeLessThanOrEqual(Math.ceil(size / (bufSize - 120)));
      expect(requests).toBeGreaterThanOrEqual(Math.ceil(size / (bufSize - 12)));
    } finally {
      await sim.handle.close();
    }
  });
});
