/**
 * `zdfu sim --link`: the UDP endpoint behind a network with latency, jitter, loss and reordering
 * (src/device/transport/link-shaper.ts). An upload still lands whole: the engine resends what the
 * link lost and follows the device's offset when answers come out of order.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSim } from '../../src/device/io/sim-host.ts';
import { parseLinkProfile } from '../../src/device/transport/link-shaper.ts';
import { loadSigningKey } from '../../src/image/keys.ts';
import { signImage } from '../../src/image/sign.ts';
import { ROOT } from '../device/server/fixtures.ts';
import { runZdfu } from '../helpers/run-zdfu.ts';
import { useSimWorkspace } from '../helpers/sim-workspace.ts';

const ws = useSimWorkspace('zdfu-link-');

describe('a sim behind a shaped UDP link', () => {
  it('takes a whole upload through latency, jitter, 5 % loss and reordering', async () => {
    const link = parseLinkProfile('latency=15ms,jitter=5ms,loss=5%,reorder=5%,seed=42');
    ws.sim = await startSim({ udp: '127.0.0.1:0', baud: 0, link });
    expect(ws.sim.readyLine).toMatch(/\(shaped: latency 15 ms ± 5 ms, loss 5%, reorder 5%, seed 42\)/);
    const udp = ['--conntype', 'udp', '--connstring', `127.0.0.1:${ws.sim.udp?.port}`];
    // 64 KiB: some 65 requests and answers, enough for this seed to lose and reorder some.
    const key = await loadSigningKey(readFileSync(join(ROOT, 'keys', 'dev-rsa-2048.pem'), 'utf8'));
    const payload = new Uint8Array(64 * 1024).map((_, i) => (i * 7) & 0xff);
    const image = join(ws.dir, 'big.signed.bin');
    writeFileSync(
      image,
      await signImage(payload, {
        key,
        headerSize: 0x200,
        padHeader: true,
        slotSize: 0x60000,
        version: '2.0.0',
      }),
    );
    const run = await runZdfu([...udp, '-t', '0.5', '--json', 'image', 'upload', image], {
      ZDFU_HOME: ws.dir,
    });
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.out) as { bytes: number; sentBytes: number };
    expect(result).toMatchObject({ bytes: readFileSync(image).length });
    const list = await runZdfu([...udp, '-t', '0.5', '-r', '5', '--json', 'image', 'list'], {
      ZDFU_HOME: ws.dir,
    });
    const images = (JSON.parse(list.out) as { images: { slot: number; version: string }[] }).images;
    expect(images.find((i) => i.slot === 1)?.version).toBe('2.0.0');
    // The link did lose and reorder datagrams on the way.
    const stats = ws.sim.udp?.link;
    console.log(`[shaped link] in ${JSON.stringify(stats?.inbound)} out ${JSON.stringify(stats?.outbound)}`);
    expect((stats?.inbound.lost ?? 0) + (stats?.outbound.lost ?? 0)).toBeGreaterThan(0);
    expect((stats?.inbound.reordered ?? 0) + (stats?.outbound.reordered ?? 0)).toBeGreaterThan(0);
  });
});
