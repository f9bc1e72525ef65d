/**
 * The user's story in the page over Web Serial: the library's Web Serial transport
 * (src/transport/web/web-serial.ts) on the stand-in navigator.serial, bridged to a virtual
 * stm32f4_disco's real PTY at 115200 baud (support/web-serial-bridge.ts). Then the upload speed
 * of Binary Two in the page against the zdfu CLI on the same PTY.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBoard } from '../../src/device/boards/index.ts';
import { blinkyImageFor } from '../../src/device/io/board-images.ts';
import { startSim } from '../../src/device/io/sim-host.ts';
import { launchChromium, TestPage } from './support/chromium.ts';
import type { StaticServer } from './support/static-server.ts';
import { cliUpload, describeSpeed, expectStory, type StoryResult, serveStoryPage } from './support/story.ts';
import { WebSerialBridge } from './support/web-serial-bridge.ts';

const BOARD = 'stm32f4_disco';
let browser: Browser;
let server: StaticServer;

beforeAll(async () => {
  [browser, server] = await Promise.all([launchChromium(), serveStoryPage([BOARD])]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the story in the page over Web Serial (bridged to a virtual stm32f4_disco PTY)', () => {
  it('echo, stats rising, list, upload Two, test, reset, swap, confirm; then page vs CLI upload speed', async () => {
    const sim = await startSim({ board: BOARD, udp: false });
    const session = await TestPage.open(browser);
    const bridge = await WebSerialBridge.attach(session.context);
    bridge.addPort(sim.ptyPath);
    const dir = mkdtempSync(join(tmpdir(), 'zdfu-browser-'));
    try {
      const { page } = session;
      await page.goto(`${server.origin}/`);
      await page.click('#connect-serial');
      await page.waitForFunction(
        () => window.zdfuStory.status !== 'connecting' && window.zdfuStory.status !== 'idle',
      );
      expect(await page.evaluate(() => window.zdfuStory.status)).toBe('connected: web-serial');
      const result: StoryResult = await session.guard(
        page.evaluate((url) => window.zdfuStory.run(url), `/images/${BOARD}/two.bin`),
      );
      expectStory(result);
      // MCUboot's swap is in the console the page read between frames.
      expect(result.console).toContain('Swap type: test');
      await session.screenshot('story-web-serial');

      // Speed: the same image to the same slot, in the page and with the CLI, on the same PTY.
      const pageUpload = await session.guard(
        page.evaluate((url) => window.zdfuStory.upload(url), `/images/${BOARD}/two.bin`),
      );
      await page.evaluate(() => window.zdfuStory.close());
      const file = join(dir, 'two.bin');
      writeFileSync(file, await blinkyImageFor(getBoard(BOARD), 'blinky-two'));
      const cli = await cliUpload(['--conntype', 'serial', '--connstring', `dev=${sim.ptyPath}`], file);
      console.log(
        `Web Serial upload of Binary Two (${BOARD}, 115200-baud PTY): page ${describeSpeed(pageUpload)}; ` +
          `CLI ${describeSpeed(cli)}`,
      );
      session.assertNoErrors();
    } catch (error) {
      await session.screenshot('story-web-serial-failed').catch(() => {});
      throw new Error(
        `${(error as Error).message}\npage log:\n${await session.page.textContent('#log').catch(() => '')}`,
        {
          cause: error,
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await session.close();
      await bridge.close();
      await sim.close();
    }
  });
});
