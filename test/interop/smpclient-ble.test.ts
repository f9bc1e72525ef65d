/**
 * intercreate smpclient over Bluetooth LE, through its own host stack (Bumble, the
 * `smpclient[bumble]` extra) on one controller of the project's virtual radio, against the
 * virtual esp32_devkitc_wroom advertising on another controller (bleno, in this process).
 * The radio models the air (15 ms connection interval, data length 251, 2M PHY), so the figures
 * printed are those of a paced link; nothing here asserts a speed.
 * Needs scripts/ble/setup.sh (Bumble for the radio) as well as scripts/interop/setup.sh;
 * `npm run test:interop` runs both.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startVirtualRadio, type VirtualRadio } from '../../scripts/ble/virtual-radio.ts';
import { type SimHandle, startSim } from '../../src/device/io/sim-host.ts';
import {
  BINARY_ONE,
  BINARY_TWO,
  type BleLink,
  imageHash,
  type PeerImageState,
  type PeerOpResult,
  slotSummary,
  smpclientOps,
} from './smp-harness.ts';

const ECHOES = 10;

function images(result: PeerOpResult | undefined): PeerImageState[] {
  if (!result || !('images' in result)) throw new Error(`no image list in ${JSON.stringify(result)}`);
  return result.images;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

// smpclient asks for ATT MTU 247 unless told otherwise; the board accepts up to 498.
describe.each([247, 498])('smpclient over BLE (Bumble host) at ATT MTU %i', (mtu) => {
  let dir: string | undefined;
  let radio: VirtualRadio | undefined;
  let sim: SimHandle | undefined;

  afterEach(async () => {
    await sim?.close();
    await radio?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    sim = undefined;
    radio = undefined;
    dir = undefined;
  });

  it('echoes, lists Binary One, uploads Binary Two into slot 1 and lists it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'zdfu-peer-ble-'));
    radio = await startVirtualRadio({
      ptys: ['hci0', 'hci1'].map((name) => join(dir!, name)),
      air: { intervalMs: 15, dataLength: 251, phy: '2M' },
    });
    const name = `esp-peer-${mtu}`;
    sim = await startSim({
      board: 'esp32_devkitc_wroom',
      udp: false,
      baud: 0,
      ptyLink: join(dir, 'tty'),
      ble: { hci: { kind: 'uart', path: join(dir, 'hci0') }, name },
    });
    const link: BleLink = { ble: { hci: `serial:${join(dir, 'hci1')}`, name, mtu } };

    // First run: the negotiated link, echoes and the state read.
    const echoes = Array.from({ length: ECHOES }, (_, i) => ['echo', `ping ${i}`]).flat();
    const [settled, ...first] = await smpclientOps(link, ['link', ...echoes, 'state']);
    // One write carries ATT MTU − 3 octets: the MTU asked for was granted.
    expect(settled).toMatchObject({ op: 'link', mtu: mtu - 3 });
    expect(first.slice(0, ECHOES).map((r) => ('r' in r ? r.r : r))).toEqual(
      Array.from({ length: ECHOES }, (_, i) => `ping ${i}`),
    );
    const before = images(first[ECHOES]);
    expect(slotSummary(before)).toEqual(['slot 0 1.0.0 active confirmed']);
    expect(before[0]?.hash).toBe(imageHash(BINARY_ONE));

    // Second run, a new host on the same controller: the upload and the state read.
    const size = readFileSync(BINARY_TWO).length;
    const [upload, state] = await smpclientOps(link, ['upload', BINARY_TWO, 'state']);
    // No "match": smp_svr is built without CONFIG_IMG_ENABLE_IMAGE_CHECK; smpclient copes.
    expect(upload).toMatchObject({ op: 'upload', size, final_off: size, match: null });
    const after = images(state);
    expect(slotSummary(after)).toEqual(['slot 0 1.0.0 active confirmed', 'slot 1 2.0.0']);
    expect(after.map((image) => image.hash)).toEqual([imageHash(BINARY_ONE), imageHash(BINARY_TWO)]);

    const rtts = first.slice(0, ECHOES).map((r) => ('seconds' in r ? (r.seconds ?? Number.NaN) : Number.NaN));
    const seconds = upload && 'seconds' in upload ? (upload.seconds ?? Number.NaN) : Number.NaN;
    console.log(
      `smpclient BLE, ATT MTU ${mtu}, 15 ms interval: echo RTT median ${(median(rtts) * 1e3).toFixed(1)} ms; ` +
        `Binary Two (${size} B) uploaded in ${seconds.toFixed(3)} s ` +
        `(${upload && 'requests' in upload ? upload.requests : '?'} requests)`,
    );
  });
});
