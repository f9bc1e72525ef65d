// Screenshots of every dashboard view at a laptop (1280×800) and a phone (390×844) size, taken in
// Debian's Chromium with playwright-core on the built dashboard (npm run build first), so the
// views can be looked at: `node scripts/dashboard/screenshots.mjs [OUT_DIR] [--docs]`. With
// --docs it also writes docs/dashboard.png (the README's picture): the desktop Image view after
// the update to Binary Two.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { preview } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));
const args = process.argv.slice(2);
const docs = args.includes('--docs');
const out = args.find((a) => !a.startsWith('--')) ?? join(root, '.cache', 'dashboard-shots');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

async function shoot(page, size, name) {
  const file = join(out, `${size.name}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(file);
}

async function view(page, id) {
  await page.getByTestId(`nav-${id}`).click();
  await page.getByTestId(`view-${id}`).waitFor();
}

await mkdir(out, { recursive: true });
if (docs) await mkdir(join(root, 'docs'), { recursive: true });
const server = await preview({
  configFile: join(root, 'vite.config.ts'),
  preview: { port: 0, host: '127.0.0.1' },
  logLevel: 'warn',
});
const url = server.resolvedUrls?.local[0];
if (!url) throw new Error('vite preview gave no URL');
const browser = await chromium.launch({ executablePath, args: ['--enable-features=WebBluetooth'] });
try {
  for (const size of SIZES) {
    const context = await browser.newContext({ viewport: { width: size.width, height: size.height } });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(url);
    await page.getByTestId('view-connect').waitFor();
    await shoot(page, size, '1-connect');
    await page.getByTestId('connect-virtual-button').click();
    await page.getByTestId('view-device').waitFor({ timeout: 30_000 });
    await page.getByTestId('facts').waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1500);
    await shoot(page, size, '2-device');
    await view(page, 'slots');
    await page.getByTestId('explain').waitFor();
    await shoot(page, size, '3-slots');
    await view(page, 'image');
    await page.getByTestId('image-sample').click();
    await page.getByTestId('image-details').waitFor();
    await shoot(page, size, '4-image');
    await page.getByTestId('update-button').click();
    await page.getByTestId('transfer-progress').waitFor({ timeout: 30_000 });
    await page.waitForTimeout(800);
    await shoot(page, size, '5-updating');
    await page
      .getByTestId('update-done')
      .or(page.getByTestId('update-problem'))
      .waitFor({ timeout: 120_000 });
    await shoot(page, size, '6-updated');
    if (docs && size.name === 'desktop') {
      await page.screenshot({ path: join(root, 'docs', 'dashboard.png'), fullPage: true });
      console.log(join(root, 'docs', 'dashboard.png'));
    }
    await view(page, 'slots');
    await page.getByTestId('explain').waitFor();
    await page.waitForTimeout(2500);
    await shoot(page, size, '7-slots-after');

    await view(page, 'stats');
    await page.getByTestId('stat-chart').waitFor({ timeout: 30_000 });
    await page.waitForTimeout(6000);
    await shoot(page, size, '8-stats');
    await view(page, 'console');
    await shoot(page, size, '9-console');
    for (const id of ['files', 'shell', 'settings']) {
      const tab = page.getByTestId(`nav-${id}`);
      if ((await tab.count()) === 0) continue;
      await view(page, id);
      await shoot(page, size, `10-${id}`);
    }
    await page.getByTestId('nav-image').click();
    await page.getByTestId('image-file-input').setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('these are not the bytes you are looking for\n'),
    });
    await page.getByTestId('image-problem').waitFor();
    await shoot(page, size, '11-not-an-image');
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
