/**
 * The user's story on the in-tab virtual board: the board runs in a Web Worker of the page
 * (src/device/web/virtual-board.ts, board-worker.ts bundled beside the page), given its board file,
 * MCUboot's key and Binary One by the page; the library talks to its UART framed like a real
 * serial port. No process outside the browser takes part.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, TestPage } from './support/chromium.ts';
import type { StaticServer } from './support/static-server.ts';
import { describeSpeed, expectStory, type StoryResult, serveStoryPage } from './support/story.ts';

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

describe('the story in the page on the in-tab virtual board (stm32f4_disco in a Web Worker)', () => {
  it('echo, stats rising, list, upload Two, test, reset, swap, confirm', async () => {
    const session = await TestPage.open(browser);
    try {
      const { page } = session;
      await page.goto(`${server.origin}/`);
      expect(await session.guard(page.evaluate((b) => window.zdfuStory.connectVirtual(b), BOARD))).toBe(
        'running',
      );
      const result: StoryResult = await session.guard(
        page.evaluate((url) => window.zdfuStory.run(url), `/images/${BOARD}/two.bin`),
      );
      expectStory(result);
      // MCUboot's swap, as the board's console printed it in the tab.
      const consoleLines = await page.evaluate(() => window.zdfuStory.virtualConsole());
      expect(consoleLines.join('\n')).toContain('Swap type: test');
      await session.screenshot('story-virtual-board');
      console.log(
        `in-tab virtual board upload of Binary Two (${BOARD}, 115200 baud): ${describeSpeed(result.upload)}`,
      );
      await page.evaluate(() => window.zdfuStory.close());
      session.assertNoErrors();
    } finally {
      await session.close();
    }
  });
});
