/**
 * Bad input in the page, over Web Serial bridged to a virtual stm32f4_disco (RSA-2048 MCUboot):
 * a file that is not an image, an image signed with a key the board does not trust, and the board
 * disappearing in the middle of an upload. Each ends in words a user can act on, in bounded time,
 * and leaves the board running Binary One.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { slotPartition } from '../../src/device/boards/board.ts';
import { getBoard } from '../../src/device/boards/index.ts';
import { packageRoot } from '../../src/device/io/artifacts.ts';
import { type SimHandle, startSim } from '../../src/device/io/sim-host.ts';
import { loadSigningKey } from '../../src/image/keys.ts';
import { signImage } from '../../src/image/sign.ts';
import type { Outcome } from './pages/story/page.ts';
import { launchChromium, TestPage } from './support/chromium.ts';
import type { StaticServer } from './support/static-server.ts';
import { serveStoryPage } from './support/story.ts';
import { WebSerialBridge } from './support/web-serial-bridge.ts';

const BOARD = 'stm32f4_disco';
let browser: Browser;
let server: StaticServer;
let session: TestPage | undefined;
let bridge: WebSerialBridge | undefined;
let sim: SimHandle | undefined;

beforeAll(async () => {
  [browser, server] = await Promise.all([launchChromium(), serveStoryPage([BOARD])]);
  server.put('/bad/notes.txt', 'These are my notes, not a firmware image.\n'.repeat(40));
  // Binary Two signed with a fresh RSA-2048 key: well formed, but not the board's key.
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
  const payload = new Uint8Array(readFileSync(join(packageRoot(), 'build/firmware/blinky-two/zephyr.bin')));
  server.put(
    '/bad/two-wrong-key.bin',
    await signImage(payload, {
      key: await loadSigningKey(stranger),
      headerSize: 0x200,
      slotSize: slotPartition(getBoard(BOARD), 0).size,
      version: '2.0.0',
    }),
  );
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

afterEach(async () => {
  await session?.close();
  await bridge?.close();
  await sim?.close();
  session = undefined;
  bridge = undefined;
  sim = undefined;
});

async function connect(baud?: number): Promise<TestPage> {
  sim = await startSim({ board: BOARD, udp: false, ...(baud === undefined ? {} : { baud }) });
  session = await TestPage.open(browser);
  bridge = await WebSerialBridge.attach(session.context);
  bridge.addPort(sim.ptyPath);
  await session.page.goto(`${server.origin}/`);
  await session.page.click('#connect-serial');
  await session.page.waitForFunction(() => window.zdfuStory.status.startsWith('connected'));
  return session;
}

describe('bad input in the page over Web Serial (virtual stm32f4_disco)', () => {
  it('a file that is not an image is refused in words before anything is sent', async () => {
    const { page } = await connect();
    const before = bridge!.counts.toDevice;
    const outcome: Outcome = await page.evaluate(() => window.zdfuStory.tryUpload('/bad/notes.txt'));
    console.log(`not an image: ${outcome.message}`);
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(
      /not a valid MCUboot image \(bad image magic 0x[0-9a-f]+ \(expected 0x96f3b83d\)/i,
    );
    expect(bridge!.counts.toDevice).toBe(before);
    expect(await page.evaluate(() => window.zdfuStory.slots())).toBe('slot 0: 1.0.0 [active confirmed]');
    await session!.screenshot('bad-input-not-an-image');
    session!.assertNoErrors();
  });

  it('an image signed with a key the board does not trust is refused in words; slot 0 still runs One', async () => {
    const { page } = await connect();
    const outcome: Outcome = await page.evaluate(() => window.zdfuStory.dfu('/bad/two-wrong-key.bin'));
    console.log(`wrong key: ${outcome.message}`);
    expect(outcome.ok, outcome.message).toBe(false);
    // MCUboot refused the image at boot: the page says so, not "updated".
    expect(outcome.steps).not.toContain('confirmed');
    expect(outcome.message).toMatch(/1\.0\.0/);
    expect(outcome.message.length).toBeGreaterThan(40);
    expect(await page.evaluate(() => window.zdfuStory.slots())).toMatch(
      /^slot 0: 1\.0\.0 \[active confirmed\]/,
    );
    expect((sim!.device.lastBoot?.log ?? []).join('\n')).toMatch(/not valid|signature|bad/i);
    await session!.screenshot('bad-input-wrong-key');
    session!.assertNoErrors();
  });

  it('the board disappearing mid-upload ends the upload at once with a clear message', async () => {
    const { page } = await connect();
    const upload = page.evaluate((url) => window.zdfuStory.tryUpload(url), `/images/${BOARD}/two.bin`);
    // Pull the plug once a good part of the image is on its way (115200 baud: ≈ 0.3 s in).
    const deadline = Date.now() + 5000;
    while (bridge!.counts.toDevice < 3000 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(bridge!.counts.toDevice).toBeGreaterThanOrEqual(3000);
    const pulled = Date.now();
    await sim!.close();
    const outcome: Outcome = await upload;
    const tookMs = Date.now() - pulled;
    console.log(`device gone after ${bridge!.counts.toDevice} bytes: ${outcome.message} (${tookMs} ms)`);
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/lost|hung up|disconnect|closed/i);
    expect(outcome.message).not.toMatch(/^\s*$/);
    // No hang: the page knew within a couple of seconds, not after every retry's timeout.
    expect(tookMs).toBeLessThan(3000);
    expect(await page.textContent('#log')).not.toMatch(/ok: uploaded/);
    await session!.screenshot('bad-input-device-gone');
    session!.assertNoErrors();
  });
});
