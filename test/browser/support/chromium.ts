/**
 * Real Chromium for the browser suite: Debian's binary (scripts/browser/setup.sh) driven by
 * playwright-core, headless, with Web Bluetooth switched on. Each page records its console and its
 * uncaught errors, so a page error fails the test with the page's own words, and takes screenshots
 * into .cache/browser-shots/ (git-ignored) for a person to look at.
 *
 * Facts this follows (/work/shared/reference/ble-and-browser-testing.md §2.1-2.2): Chromium 156
 * with playwright-core 1.65.1 launches headless as root (Playwright adds --no-sandbox);
 * `navigator.bluetooth` is absent on Linux unless `--enable-features=WebBluetooth`; pages must come
 * from a secure context (http://127.0.0.1 or http://localhost) to see navigator.serial/bluetooth.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const SHOTS_DIR = join(process.cwd(), '.cache', 'browser-shots');

/** The browser binary: ZDFU_CHROMIUM, else Debian's. */
export function chromiumPath(): string {
  return process.env.ZDFU_CHROMIUM ?? '/usr/bin/chromium';
}

export async function launchChromium(): Promise<Browser> {
  try {
    return await chromium.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: ['--enable-features=WebBluetooth'],
      timeout: 20_000,
    });
  } catch (error) {
    throw new Error(
      `cannot start Chromium at ${chromiumPath()}: run scripts/browser/setup.sh (or set ZDFU_CHROMIUM)` +
        ` — ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      { cause: error },
    );
  }
}

/** A page plus what it said: console lines and uncaught errors (exceptions, unhandled rejections). */
export class TestPage {
  readonly console: string[] = [];
  readonly errors: string[] = [];
  private errorListeners: ((error: Error) => void)[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on('console', (message) => {
      // Bounded: a chatty page must not grow the test process without limit.
      if (this.console.length < 2000) this.console.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => {
      const text = error.stack ?? `${error.name}: ${error.message}`;
      this.errors.push(text);
      for (const listener of this.errorListeners) listener(new Error(`the page threw: ${text}`));
    });
    page.on('crash', () => {
      this.errors.push('the page crashed');
      for (const listener of this.errorListeners) listener(new Error('the page crashed'));
    });
  }

  /** A fresh context (its own storage) and page. `viewport` defaults to a laptop screen. */
  static async open(
    browser: Browser,
    options: { viewport?: { width: number; height: number } } = {},
  ): Promise<TestPage> {
    const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
    const page = await context.newPage();
    // Playwright's default of 30 s per action is longer than a browser test should ever take.
    page.setDefaultTimeout(10_000);
    return new TestPage(context, page);
  }

  /**
   * Runs `work` but fails at once, with the page's words, if the page throws an uncaught error
   * meanwhile (otherwise the test would wait for its own timeout and say nothing useful).
   */
  async guard<T>(work: Promise<T>): Promise<T> {
    let remove = () => {};
    const failed = new Promise<never>((_, reject) => {
      const listener = (error: Error) => reject(error);
      this.errorListeners.push(listener);
      remove = () => {
        this.errorListeners = this.errorListeners.filter((l) => l !== listener);
      };
    });
    try {
      return await Promise.race([work, failed]);
    } finally {
      remove();
    }
  }

  /** Throws when the page had an uncaught error; call it at the end of every test. */
  assertNoErrors(): void {
    if (this.errors.length > 0) {
      throw new Error(
        `the page had ${this.errors.length} uncaught error(s):\n${this.errors.join('\n')}\n` +
          `console:\n${this.console.slice(-40).join('\n')}`,
      );
    }
  }

  /** A full-page PNG at .cache/browser-shots/<name>.png; returns its path. */
  async screenshot(name: string): Promise<string> {
    mkdirSync(SHOTS_DIR, { recursive: true });
    const path = join(SHOTS_DIR, `${name}.png`);
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
