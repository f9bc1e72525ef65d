/**
 * The user's story in the page over Web Bluetooth: the library's transport
 * (src/transport/web/web-bluetooth.ts) on Chromium's real navigator.bluetooth, the radio emulated
 * through DevTools' BluetoothEmulation and bridged to a virtual nrf52840dk (ECDSA-P256 MCUboot) in
 * the test process (support/web-bluetooth-bridge.ts). The reset drops the connection as a real
 * board's does; the transport connects again by itself. Then the board going out of range in the
 * middle of an upload.
 */
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Outcome } from './pages/story/page.ts';
import { type BleBoard, startBleBoard } from './support/ble-board.ts';
import { launchChromium, TestPage } from './support/chromium.ts';
import type { StaticServer } from './support/static-server.ts';
import { describeSpeed, expectStory, type StoryResult, serveStoryPage } from './support/story.ts';
import { WebBluetoothBridge } from './support/web-bluetooth-bridge.ts';

const BOARD = 'nrf52840dk';
let browser: Browser;
let server: StaticServer;
let session: TestPage | undefined;
let board: BleBoard | undefined;
let bridge: WebBluetoothBridge | undefined;

beforeAll(async () => {
  [browser, server] = await Promise.all([launchChromium(), serveStoryPage([BOARD])]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

afterEach(async () => {
  await bridge?.close();
  await session?.close();
  await board?.close();
  bridge = undefined;
  session = undefined;
  board = undefined;
});

async function connect(): Promise<TestPage> {
  board = await startBleBoard(BOARD);
  session = await TestPage.open(browser);
  bridge = await WebBluetoothBridge.attach(browser, session.page, board, { name: `zdfu ${BOARD}` });
  await session.page.goto(`${server.origin}/`);
  await session.page.click('#connect-bluetooth');
  await session.page.waitForFunction(() => !['idle', 'connecting'].includes(window.zdfuStory.status));
  expect(await session.page.evaluate(() => window.zdfuStory.status)).toBe(
    `connected: web-bluetooth zdfu ${BOARD}`,
  );
  return session;
}

describe('the story in the page over Web Bluetooth (emulated, virtual nrf52840dk)', () => {
  it('echo, stats rising, list, upload Two, test, reset (reconnect), swap, confirm', async () => {
    const { page } = await connect();
    const result: StoryResult = await session!.guard(
      page.evaluate((url) => window.zdfuStory.run(url), `/images/${BOARD}/two.bin`),
    );
    expectStory(result);
    await session!.screenshot('story-web-bluetooth');
    console.log(
      `Web Bluetooth upload of Binary Two (${BOARD}, emulated): page ${describeSpeed(result.upload)}; ` +
        `${bridge!.counts.writes} writes, ${bridge!.counts.notifications} notifications`,
    );
    session!.assertNoErrors();
  });

  it('the board going out of range mid-upload: a clear message, nothing reported good', async () => {
    const { page } = await connect();
    const upload = page.evaluate((url) => window.zdfuStory.tryUpload(url), `/images/${BOARD}/two.bin`);
    const deadline = Date.now() + 5000;
    while (bridge!.counts.toDevice < 2000 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    expect(bridge!.counts.toDevice).toBeGreaterThanOrEqual(2000);
    // Out of range for good: the link drops, and the board never answers a connection again.
    await board!.close();
    await bridge!.disconnect();
    const gone = Date.now();
    const outcome: Outcome = await upload;
    console.log(`Web Bluetooth device gone mid-upload: ${outcome.message} (${Date.now() - gone} ms)`);
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/disconnect|lost|connect|out of range|answer/i);
    expect(Date.now() - gone).toBeLessThan(15_000);
    expect(await page.textContent('#log')).not.toMatch(/ok: uploaded/);
    await session!.screenshot('bad-input-bluetooth-gone');
    session!.assertNoErrors();
  });
});
