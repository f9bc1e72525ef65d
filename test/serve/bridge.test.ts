/**
 * zdfu serve's bridge end to end: the page-side transport (src/transport/web/websocket.ts, with
 * the ws package as the page's WebSocket) through a real serve to a real virtual board on its
 * UDP socket and its PTY.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseImage } from '../../src/image/format.ts';
import { formatVersion } from '../../src/image/version.ts';
import { SERIAL_MAX_PACKET } from '../../src/transport/serial-framing.ts';
import { listServeTargets } from '../../src/transport/web/websocket.ts';
import { blinky } from '../device/server/fixtures.ts';
import { type Bench, pageSocket, startBench } from './helpers.ts';

let bench: Bench | undefined;

afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

describe('zdfu serve relays a virtual board to the page', () => {
  it('lists the board on UDP and on its PTY', async () => {
    bench = await startBench();
    const targets = await listServeTargets({
      url: bench.serve.origin,
      token: bench.serve.token,
      WebSocket: pageSocket(bench.serve.origin),
    });
    const sim = bench.sims[0]!;
    expect(targets).toEqual([
      {
        id: 'sim:stm32f4_disco/udp',
        kind: 'udp',
        source: 'sim',
        label: 'virtual stm32f4_disco (UDP)',
        detail: `udp 127.0.0.1:${sim.udp!.port}`,
      },
      {
        id: 'sim:stm32f4_disco/serial',
        kind: 'serial',
        source: 'sim',
        label: 'virtual stm32f4_disco (serial)',
        detail: `serial ${sim.ptyLink}`,
      },
    ]);
  });

  for (const link of ['udp', 'serial'] as const) {
    it(`${link}: echo, image list and an image upload through the bridge`, async () => {
      bench = await startBench();
      const { client, transport } = await bench.openPage(`sim:stm32f4_disco/${link}`, 3000);
      expect(transport.kind).toBe(link);
      // The serve's own Node transports decide: UDP's 1024, the serial framing's largest packet.
      expect(transport.mtu).toBe(link === 'udp' ? 1024 : SERIAL_MAX_PACKET);
      expect(await client.echo('through serve')).toBe('through serve');
      const before = await client.imageList();
      expect(before.images[0]?.version).toBe('1.0.0');
      const image = await blinky('blinky-two');
      const result = await client.imageUpload(image);
      expect(result.total).toBe(image.length);
      const after = await client.imageList();
      const slot1 = after.images.find((i) => i.slot === 1);
      const parsed = parseImage(image);
      expect(slot1?.version).toBe(formatVersion(parsed.header.version));
      expect(Buffer.from(slot1!.hash!).toString('hex')).toBe(Buffer.from(parsed.sha256Hash!).toString('hex'));
    }, 60_000);
  }
});
