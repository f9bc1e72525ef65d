/**
 * The dashboard (src/dashboard, built into dist/dashboard by `npm run build`) driven as a user
 * drives it, through its test ids (src/dashboard/README.md): the in-tab virtual board, each view
 * screenshotted, the whole update of Binary Two from the image view, then bad input (a file that is
 * not an image, the wrong-key sample).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, TestPage } from './support/chromium.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';

const DASHBOARD = join(process.cwd(), 'dist', 'dashboard');
const BOARD = 'stm32f4_disco';
let browser: Browser;
let server: StaticServer;

beforeAll(async () => {
  if (!existsSync(join(DASHBOARD, 'index.html'))) {
    throw new Error(`${DASHBOARD}/index.html is missing: build the dashboard first (npm run build)`);
  }
  [browser, server] = await Promise.all([launchChromium(), startStaticServer(DASHBOARD)]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function connectVirtual(session: TestPage): Promise<void> {
  const { page } = session;
  await page.goto(`${server.origin}/`);
  await page.getByTestId('nav-connect').click();
  await page.getByTestId('board-select').selectOption(BOARD);
  await page.getByTestId('connect-virtual-button').click();
  await page.getByTestId('connection-label').waitFor();
  await page.locator('[data-testid="board-state"][data-state="running"]').waitFor({ timeout: 20_000 });
}

describe('the dashboard on the in-tab virtual board', () => {
  it('each view, and the update of Binary Two from the image view', async () => {
    const session = await TestPage.open(browser);
    const { page } = session;
    try {
      await connectVirtual(session);
      await session.screenshot('dashboard-connect');
      await page.getByTestId('nav-device').click();
      await page.getByTestId('fact-os').waitFor();
      await session.screenshot('dashboard-device');
      await page.getByTestId('nav-slots').click();
      await expect
        .poll(() => page.getByTestId('slot-0-0').getByTestId('slot-version').textContent())
        .toBe('1.0.0');
      await session.screenshot('dashboard-slots-before');

      await page.getByTestId('nav-image').click();
      await page.getByTestId('image-sample').click();
      await page.getByTestId('image-details').waitFor();
      await expect.poll(() => page.getByTestId('image-version').textContent()).toContain('2.0.0');
      await session.screenshot('dashboard-image');
      await page.getByTestId('update-button').click();
      await page.getByTestId('update-done').waitFor({ timeout: 30_000 });
      await session.screenshot('dashboard-update-done');

      await page.getByTestId('nav-slots').click();
      await expect
        .poll(() => page.getByTestId('slot-0-0').getByTestId('slot-version').textContent())
        .toBe('2.0.0');
      await expect
        .poll(() => page.getByTestId('slot-0-0').getByTestId('slot-flags').textContent())
        .toMatch(/active/);
      await expect
        .poll(() => page.getByTestId('slot-0-0').getByTestId('slot-flags').textContent())
        .toMatch(/confirmed/);
      await session.screenshot('dashboard-slots-after');

      await page.getByTestId('nav-stats').click();
      await page.getByTestId('stat-counter_stat').waitFor();
      await session.screenshot('dashboard-stats');
      await page.getByTestId('nav-console').click();
      await expect.poll(() => page.getByTestId('console').inputValue()).toContain('Swap type: test');
      await session.screenshot('dashboard-console');
      for (const view of ['files', 'shell', 'settings']) {
        const tab = page.getByTestId(`nav-${view}`);
        if ((await tab.count()) === 0) continue;
        await tab.click();
        await page.getByTestId(`view-${view}`).waitFor();
        await session.screenshot(`dashboard-${view}`);
      }
      session.assertNoErrors();
    } finally {
      await session.close();
    }
  });

  it('bad input: a file that is not an image, and an image signed with a key the board does not trust', async () => {
    const session = await TestPage.open(browser);
    const { page } = session;
    try {
      await connectVirtual(session);
      await page.getByTestId('nav-image').click();
      await page.getByTestId('image-file-input').setInputFiles({
        name: 'notes.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('These are my notes, not a firmware image.\n'.repeat(40)),
      });
      await expect
        .poll(() => page.getByTestId('image-problem').textContent())
        .toMatch(/not .*MCUboot image|magic/i);
      await session.screenshot('dashboard-bad-not-an-image');

      await page.getByTestId('image-sample-wrong-key').click();
      await page.getByTestId('image-details').waitFor();
      await page.getByTestId('update-button').click();
      await page.getByTestId('update-problem').waitFor({ timeout: 30_000 });
      const problem = (await page.getByTestId('update-problem').textContent()) ?? '';
      console.log(`dashboard, wrong-key image: ${problem}`);
      expect(problem).toMatch(/1\.0\.0/);
      await session.screenshot('dashboard-bad-wrong-key');
      await page.getByTestId('nav-slots').click();
      await expect
        .poll(() => page.getByTestId('slot-0-0').getByTestId('slot-version').textContent())
        .toBe('1.0.0');
      session.assertNoErrors();
    } finally {
      await session.close();
    }
  });
});
