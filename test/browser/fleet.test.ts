/**
 * The dashboard's Fleet view in real Chromium, as a gateway user opens it: a real zdfu serve
 * (loopback, token) serves dist/dashboard and streams a fleet of 1,000 devices from an in-process
 * status source (the shape src/fleet/status.ts gives); the page opens at the URL serveFleetStatus
 * prints (`#token=…&view=fleet`). Checked: counts per phase, rows (windowed: few in the DOM),
 * filter, phase filter, sort, the keyboard, live updates; screenshots at 1280×800 and 390×844.
 * Then the same view fed by a real gateway (src/fleet/gateway) updating 4 in-process virtual boards
 * from the fake DDI server, one of which refuses the image.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseFaultPlan } from '../../src/fleet/faults.ts';
import { type FleetFeed, serveFleetStatus } from '../../src/serve/fleet-feed.ts';
import type { DevicePhase, FleetDeviceLike, FleetStatusLike } from '../../src/serve/fleet-protocol.ts';
import { type ServeHandle, startServe } from '../../src/serve/server.ts';
import { binaryTwo, distribution, type Rig, startRig } from '../fleet/gateway-helpers.ts';
import { launchChromium, TestPage } from './support/chromium.ts';

const DASHBOARD = join(process.cwd(), 'dist', 'dashboard');
const COUNT = 1000;
let browser: Browser;
let serve: ServeHandle;
let feed: FleetFeed;
let session: TestPage | undefined;
const source = fleetSource(COUNT);

/** A fleet mid-rollout: most done, some uploading, some failed with reasons, a few gone. */
function fleetSource(count: number) {
  const listeners = new Set<(s: FleetStatusLike) => void>();
  const startedAt = Date.UTC(2026, 11, 2, 20, 0, 0);
  const devices: FleetDeviceLike[] = Array.from({ length: count }, (_, i) => deviceAt(i, startedAt));
  let status: FleetStatusLike = { server: 'http://127.0.0.1:8080 (DEFAULT)', startedAt, devices };
  return {
    status: () => status,
    onStatus(listener: (s: FleetStatusLike) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    change(index: number, patch: Partial<FleetDeviceLike>) {
      const next = [...status.devices];
      next[index] = { ...next[index]!, ...patch, updatedAt: Date.now() };
      status = { ...status, devices: next };
      for (const listener of listeners) listener(status);
    },
    count(phase: DevicePhase) {
      return status.devices.filter((d) => d.phase === phase).length;
    },
  };
}

function deviceAt(i: number, startedAt: number): FleetDeviceLike {
  const board = ['nrf52840dk', 'stm32f4_disco', 'esp32_devkitc_wroom'][i % 3]!;
  const base = {
    controllerId: `${board}-${(0x5a000000 + i * 2654435761).toString(16).slice(-8)}`,
    link: `sim #${i}`,
    board,
    updatedAt: startedAt + i * 37,
    actionId: String(100 + i),
    target: { name: 'blinky', version: '2.0.0' },
  };
  if (i % 50 === 7) {
    return {
      ...base,
      version: '1.0.0',
      confirmed: true,
      phase: 'failed',
      error: 'the device refused the image: its signature does not match the key MCUboot trusts',
      lastFeedback: {
        execution: 'closed',
        finished: 'failure',
        details: ['refused signature: image 0 slot 1 failed validation'],
      },
    };
  }
  if (i % 100 === 13) return { ...base, phase: 'gone', error: 'device gone: no answer for 30 s' };
  if (i % 5 === 1) {
    const sent = ((i * 7919) % 48) * 1024;
    return {
      ...base,
      version: '1.0.0',
      confirmed: true,
      phase: 'uploading',
      progress: { sent, total: 48 * 1024 },
      lastFeedback: {
        execution: 'proceeding',
        finished: 'none',
        progress: { cnt: 2, of: 5 },
        details: [`uploading ${Math.floor((sent / (48 * 1024)) * 100)} %`],
      },
    };
  }
  if (i % 5 === 2) return { ...base, version: '1.0.0', confirmed: true, phase: 'polling' };
  return {
    ...base,
    version: '2.0.0',
    confirmed: true,
    phase: 'done',
    lastFeedback: { execution: 'closed', finished: 'success', details: ['running 2.0.0, confirmed'] },
  };
}

beforeAll(async () => {
  if (!existsSync(join(DASHBOARD, 'index.html'))) {
    throw new Error(`${DASHBOARD}/index.html is missing: build the dashboard first (npm run build)`);
  }
  browser = await launchChromium();
  serve = await startServe({
    port: 0,
    staticRoot: DASHBOARD,
    profiles: { list: () => [] },
    listPorts: async () => [],
  });
  feed = serveFleetStatus(serve, source, { intervalMs: 200 });
});

afterAll(async () => {
  feed?.close();
  await serve?.close();
  await browser?.close();
});

afterEach(async () => {
  await session?.close();
  session = undefined;
});

async function openFleet(viewport: { width: number; height: number }): Promise<Page> {
  session = await TestPage.open(browser, { viewport });
  const { page } = session;
  await page.goto(feed.url);
  await page.getByTestId('view-fleet').waitFor();
  await expect.poll(() => page.getByTestId('fleet-total').textContent()).toBe('1,000');
  return page;
}

const countOf = (page: Page, phase: DevicePhase) =>
  page.getByTestId(`fleet-count-${phase}`).locator('.n').textContent();

describe('the Fleet view', () => {
  it('shows 1,000 devices with counts per phase, filters, sorts, follows the keyboard and live updates (1280×800)', async () => {
    const page = await openFleet({ width: 1280, height: 800 });
    expect(await page.getByTestId('nav-fleet').getAttribute('aria-current')).toBe('page');
    // The token left the address bar; the view stays.
    expect(page.url()).not.toContain('token=');
    for (const phase of ['done', 'uploading', 'polling', 'failed', 'gone'] as const) {
      expect(await countOf(page, phase)).toBe(source.count(phase).toLocaleString('en'));
    }
    expect(await page.getByTestId('fleet-shown').textContent()).toBe('1,000 devices');
    // Windowed: a screenful of rows in the DOM, not 1,000.
    const drawn = await page.getByTestId('fleet-row').count();
    expect(drawn).toBeGreaterThan(5);
    expect(drawn).toBeLessThan(60);
    await session!.screenshot('fleet-1280');

    // The failed count is a filter; each failed row says why, in words.
    await page.getByTestId('fleet-count-failed').click();
    expect(await page.getByTestId('fleet-count-failed').getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByTestId('fleet-row').count()).toBe(source.count('failed'));
    await expect
      .poll(() => page.getByTestId('fleet-feedback').first().textContent())
      .toMatch(/refused the image: its signature/);
    await page.getByTestId('fleet-count-failed').click();

    // Text filter: a board name and a version.
    await page.getByTestId('fleet-filter').fill('stm32f4_disco 2.0.0');
    const expected = source
      .status()
      .devices.filter((d) => d.board === 'stm32f4_disco' && JSON.stringify(d).includes('2.0.0')).length;
    await expect
      .poll(() => page.getByTestId('fleet-shown').textContent())
      .toBe(`${expected} of 1,000 devices`);
    await page.getByTestId('fleet-filter').fill('');

    // Sort by progress, descending: done devices (100 %) first, then the furthest upload.
    await page.getByTestId('fleet-sort-progress').click();
    await page.getByTestId('fleet-sort-progress').click();
    expect(await page.locator('th.c-progress').getAttribute('aria-sort')).toBe('descending');
    await expect.poll(() => page.getByTestId('fleet-row').first().getAttribute('data-phase')).toBe('done');
    await page.getByTestId('fleet-sort-controllerId').click();

    // Keyboard: Tab to the first row's button, End goes to the last device, its details show.
    await page.locator('.row-pick[tabindex="0"]').focus();
    await page.keyboard.press('End');
    const ids = source
      .status()
      .devices.map((d) => d.controllerId)
      .sort(new Intl.Collator('en', { numeric: true, sensitivity: 'base' }).compare);
    await expect.poll(() => page.getByTestId('fleet-details').locator('h3').textContent()).toBe(ids.at(-1));
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe(ids.at(-1));
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => page.getByTestId('fleet-details').locator('h3').textContent()).toBe(ids.at(-2));
    await page.keyboard.press('Home');
    await expect.poll(() => page.getByTestId('fleet-details').locator('h3').textContent()).toBe(ids[0]);
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.getByTestId('fleet-details').locator('h3').textContent()).toBe(ids[1]);
    await session!.screenshot('fleet-1280-details');

    // Live: a device finishes its upload, another fails; counts and rows follow.
    const doneBefore = source.count('done');
    const failedBefore = source.count('failed');
    source.change(1, {
      phase: 'done',
      version: '2.0.0',
      progress: undefined,
      lastFeedback: { execution: 'closed', finished: 'success', details: ['running 2.0.0, confirmed'] },
    });
    source.change(6, { phase: 'failed', error: 'reverted after reset: the board runs 1.0.0 again' });
    await expect.poll(() => countOf(page, 'done')).toBe(String(doneBefore + 1));
    await expect.poll(() => countOf(page, 'failed')).toBe(String(failedBefore + 1));
    await page.getByTestId('fleet-filter').fill('reverted after reset');
    await expect.poll(() => page.getByTestId('fleet-row').count()).toBe(1);
    await page.getByTestId('fleet-filter').fill('');
    session!.assertNoErrors();
  });

  it('is readable on a phone (390×844): two-line rows, sort menu, details', async () => {
    const page = await openFleet({ width: 390, height: 844 });
    expect(await page.locator('.fleet-table thead').isVisible()).toBe(false);
    await page.getByTestId('fleet-sort').selectOption('progress ascending');
    await page.getByTestId('fleet-row').first().locator('.row-pick').click();
    await page.getByTestId('fleet-details').waitFor();
    // Nothing wider than the screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await session!.screenshot('fleet-390');
    session!.assertNoErrors();
  });

  it('a page without the token is told what to do, and a serve without a gateway says so', async () => {
    session = await TestPage.open(browser);
    const { page } = session;
    await page.goto(`${serve.origin}/#view=fleet`);
    await page.getByTestId('fleet-token').fill('not-the-token');
    await page.getByTestId('fleet-watch-button').click();
    await expect.poll(() => page.getByTestId('fleet-problem').textContent()).toMatch(/token/i);

    const plain = await startServe({ port: 0, staticRoot: DASHBOARD, profiles: { list: () => [] } });
    try {
      await page.goto(`${plain.url}&view=fleet`);
      await expect
        .poll(() => page.getByTestId('fleet-problem').textContent())
        .toMatch(/runs no gateway.*zdfu gateway --dashboard/);
      await session.screenshot('fleet-no-gateway');
    } finally {
      await plain.close();
    }
    session.assertNoErrors();
  });
});

describe('the Fleet view fed by a real gateway', () => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('shows a gateway rollout to 4 virtual boards as it happens: 3 done on 2.0.0, 1 refused in words', {
    timeout: 90_000,
  }, async () => {
    rig = await startRig({ count: 4, faults: parseFaultPlan('image-refused=25%') });
    const gateway = await rig.start({ parallel: 4, notifyIntervalMs: 100 });
    const gatewayServe = await startServe({ port: 0, staticRoot: DASHBOARD, profiles: { list: () => [] } });
    const gatewayFeed = serveFleetStatus(gatewayServe, gateway);
    try {
      session = await TestPage.open(browser);
      const { page } = session;
      await page.goto(gatewayFeed.url);
      await expect.poll(() => page.getByTestId('fleet-total').textContent()).toBe('4');
      await expect.poll(() => page.getByTestId('fleet-row').count()).toBe(4);
      rig.ddi.assign(
        rig.devices.map((d) => d.controllerId),
        distribution(await binaryTwo()),
      );
      await expect.poll(() => countOf(page, 'done'), { timeout: 60_000 }).toBe('3');
      await expect.poll(() => countOf(page, 'failed'), { timeout: 60_000 }).toBe('1');
      const failed = page.locator('[data-testid="fleet-row"][data-phase="failed"]');
      expect(await failed.getByTestId('fleet-feedback').textContent()).toMatch(/refused signature/);
      const done = page.locator('[data-testid="fleet-row"][data-phase="done"]').first();
      expect(await done.getByTestId('fleet-version').textContent()).toBe('2.0.0');
      await failed.locator('.row-pick').click();
      await page.getByTestId('fleet-details-error').waitFor();
      await session.screenshot('fleet-gateway-1280');
      session.assertNoErrors();
    } finally {
      gatewayFeed.close();
      await gatewayServe.close();
    }
  });
});
