// A BLE link lost mid-upload: the board (in this process, on one virtual controller) drops its
// central while Binary Two is being uploaded; the zdfu CLI (noble, on the other controller)
// connects again and resumes from the device's offset. Runs under `npm run test:ble` only.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'cbor-x';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVirtualRadio, type VirtualRadio } from '../../scripts/ble/virtual-radio.ts';
import { type SimHandle, startSim } from '../../src/device/io/sim-host.ts';
import type { SmpBuffer } from '../../src/device/transport/smp-buffers.ts';
import { BINARY_TWO, zdfu } from './helpers.ts';

const withRadio = process.env.ZDFU_BLE === '1';

/** `off` of an image upload request or response (SMP group 1, command 1), else undefined. */
function uploadOff(packet: Uint8Array): number | undefined {
  const group = (packet[4]! << 8) | packet[5]!;
  if (packet.length < 8 || group !== 1 || packet[7] !== 1) return undefined;
  const body = decode(packet.subarray(8)) as { off?: number };
  return typeof body.off === 'number' ? body.off : undefined;
}

describe.skipIf(!withRadio)('a BLE link lost mid-upload', () => {
  let dir: string;
  let radio: VirtualRadio;
  let sim: SimHandle;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zdfu-ble-'));
    radio = await startVirtualRadio({ ptys: ['hci0', 'hci1'].map((n) => join(dir, n)), air: null });
    sim = await startSim({
      board: 'esp32_devkitc_wroom',
      udp: false,
      baud: 0,
      ptyLink: join(dir, 'tty'),
      ble: { hci: { kind: 'uart', path: join(dir, 'hci0') }, name: 'esp-drop' },
    });
  });

  afterAll(async () => {
    await sim?.close();
    await radio?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reconnects and resumes from the device offset, re-sending no acknowledged byte', async () => {
    // Watch the board's SMP traffic: the offsets asked for and the offsets it acknowledged.
    const requests: { off: number; ackedBefore: number; afterDrop: boolean }[] = [];
    let acked = 0;
    let dropped = false;
    let ackedAtDrop = 0;
    const handle = sim.device.handleRequest.bind(sim.device);
    sim.device.handleRequest = async (packet: Uint8Array, buffer: SmpBuffer) => {
      const off = uploadOff(packet);
      if (off !== undefined) requests.push({ off, ackedBefore: acked, afterDrop: dropped });
      const responses = await handle(packet, buffer);
      for (const response of responses) {
        const answered = uploadOff(response);
        if (answered !== undefined) acked = Math.max(acked, answered);
      }
      // A third of the way through, the link is lost (the board keeps running).
      if (!dropped && acked > 1400) {
        dropped = true;
        ackedAtDrop = acked;
        setTimeout(() => sim.ble?.dropConnection(), 0);
      }
      return responses;
    };
    const run = await zdfu(
      [
        '--conntype',
        'ble',
        '--connstring',
        `peer_name=esp-drop,hci=uart:${join(dir, 'hci1')}`,
        '--json',
        'image',
        'upload',
        BINARY_TWO,
      ],
      dir,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code).toBe(0);
    // Success means the device's image list shows this file's image hash (the engine checks it).
    expect(JSON.parse(run.stdout)).toMatchObject({ bytes: readFileSync(BINARY_TWO).length });
    expect(dropped).toBe(true);
    const after = requests.filter((r) => r.afterDrop);
    expect(after.length).toBeGreaterThan(0);
    // Once reconnected, no request starts below what the board had acknowledged before the drop
    // minus the answers the drop itself swallowed (at most the window in flight, 3 requests).
    const lowest = Math.min(...after.map((r) => r.off));
    console.log(
      `[drop mid-upload] dropped after ${ackedAtDrop} bytes acknowledged; resumed at ${lowest}; ${after.length} requests after the drop`,
    );
    expect(lowest).toBeGreaterThan(ackedAtDrop - 3 * 495);
    const list = await zdfu(
      [
        '--conntype',
        'ble',
        '--connstring',
        `peer_name=esp-drop,hci=uart:${join(dir, 'hci1')}`,
        'image',
        'list',
        '--json',
      ],
      dir,
    );
    const images = (JSON.parse(list.stdout) as { images: { slot: number; version: string }[] }).images;
    expect(images.find((i) => i.slot === 1)?.version).toBe('2.0.0');
  });
});
