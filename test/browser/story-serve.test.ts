/**
 * The user's story in the page through `zdfu serve`: the serve is started by the test as a user
 * starts it (`zdfu serve --sim stm32f4_disco`, its own process), serves the story page, and the page
 * opens a WebSocket to it (src/transport/web/websocket.ts) with the printed token; the serve relays
 * to the virtual board's UDP port. Then the upload speed through the serve against the zdfu CLI
 * over UDP to the same board, a wrong token, and the serve stopping in the middle of an upload.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { slotPartition } from '../../src/device/boards/board.ts';
import { getBoard } from '../../src/device/boards/index.ts';
import { packageRoot } from '../../src/device/io/artifacts.ts';
import { devSigningKeyFor } from '../../src/device/io/board-images.ts';
import { signImage } from '../../src/image/sign.ts';
import type { Outcome } from './pages/story/page.ts';
import { launchChromium, TestPage } from './support/chromium.ts';
import { buildStoryPage, cliUpload, describeSpeed, expectStory, type StoryResult } from './support/story.ts';
import { type ServeProcess, startZdfuServe } from './support/zdfu-serve.ts';

const BOARD = 'stm32f4_disco';
const TARGET = `sim:${BOARD}/udp`;
let browser: Browser;
let dir: string;
let serve: ServeProcess | undefined;
let session: TestPage | undefined;

beforeAll(async () => {
  [browser, dir] = await Promise.all([launchChromium(), buildStoryPage([BOARD])]);
  // A slot-sized image (Binary Two's code padded, signed with the board's key) for the upload that
  // is cut: long enough to be surely under way when the serve stops.
  const board = getBoard(BOARD);
  const code = new Uint8Array(readFileSync(join(packageRoot(), 'build/firmware/blinky-two/zephyr.bin')));
  const padded = new Uint8Array(200 * 1024);
  padded.set(code);
  const key = await devSigningKeyFor(board);
  writeFileSync(
    join(dir, 'images', BOARD, 'big.bin'),
    await signImage(padded, {
      key,
      headerSize: 0x200,
      slotSize: slotPartition(board, 0).size,
      version: '2.0.1',
    }),
  );
});

afterAll(async () => {
  await serve?.stop();
  await browser?.close();
});

afterEach(async () => {
  await session?.close();
  session = undefined;
});

/** A page of the serve's own (same origin), opened with the URL it printed; one serve for most tests. */
async function open(fresh = false): Promise<TestPage> {
  if (fresh) await serve?.stop();
  if (fresh || !serve) serve = await startZdfuServe({ sims: [BOARD], dashboard: dir });
  session = await TestPage.open(browser);
  await session.page.goto(serve.url);
  return session;
}

describe('the story in the page through zdfu serve (WebSocket → UDP, virtual stm32f4_disco)', () => {
  it('echo, stats rising, list, upload Two, test, reset, swap, confirm; then serve vs CLI upload speed', async () => {
    const { page } = await open();
    const targets = await page.evaluate(({ o, t }) => window.zdfuStory.listServe(o, t), {
      o: serve!.origin,
      t: serve!.token,
    });
    expect(targets).toContain(TARGET);
    await page.evaluate(({ o, t, id }) => window.zdfuStory.connectServe(o, t, id), {
      o: serve!.origin,
      t: serve!.token,
      id: TARGET,
    });
    const result: StoryResult = await session!.guard(
      page.evaluate((url) => window.zdfuStory.run(url), `/images/${BOARD}/two.bin`),
    );
    expectStory(result);
    await session!.screenshot('story-serve');

    // Speed: the same image to the same slot through the serve and with the CLI over UDP.
    const viaServe = await session!.guard(
      page.evaluate((url) => window.zdfuStory.upload(url), `/images/${BOARD}/two.bin`),
    );
    await page.evaluate(() => window.zdfuStory.close());
    const udp = serve!.sims[0]?.udp;
    if (!udp) throw new Error('zdfu serve --sim gave the board no UDP port');
    const file = join(dir, 'images', BOARD, 'two.bin');
    const cli = await cliUpload(['--conntype', 'udp', '--connstring', `${udp.host}:${udp.port}`], file);
    console.log(
      `zdfu serve upload of Binary Two (${BOARD}): page through serve (WebSocket → UDP) ${describeSpeed(viaServe)}; ` +
        `CLI over UDP ${describeSpeed(cli)}`,
    );
    session!.assertNoErrors();
  });

  it('a wrong token is refused in words', async () => {
    const { page } = await open();
    const outcome = await page.evaluate(
      (o) =>
        window.zdfuStory.listServe(o, 'not-the-token').then(
          (ids) => `listed ${ids.length}`,
          (error: Error) => error.message,
        ),
      serve!.origin,
    );
    console.log(`wrong serve token: ${outcome}`);
    expect(outcome).toMatch(/token/i);
    expect(outcome).not.toMatch(/^listed/);
    await page.evaluate((text) => {
      document.getElementById('log')!.textContent += `failed: ${text}\n`;
    }, outcome);
    await session!.screenshot('bad-input-wrong-token');
    session!.assertNoErrors();
  });

  it('the serve stopping mid-upload ends the upload at once with a clear message', async () => {
    const { page } = await open(true);
    await page.evaluate(({ o, t, id }) => window.zdfuStory.connectServe(o, t, id), {
      o: serve!.origin,
      t: serve!.token,
      id: TARGET,
    });
    const upload = page.evaluate((url) => window.zdfuStory.tryUpload(url), `/images/${BOARD}/big.bin`);
    // Stop it once the device has confirmed a first part.
    await page.waitForFunction(() => window.zdfuStory.progress > 0, undefined, { polling: 5 });
    const stopped = Date.now();
    await serve!.stop();
    const outcome: Outcome = await upload;
    console.log(`serve stopped mid-upload: ok=${outcome.ok} ${outcome.message} (${Date.now() - stopped} ms)`);
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/serve|closed|lost|stopp/i);
    expect(Date.now() - stopped).toBeLessThan(5000);
    expect(await page.textContent('#log')).not.toMatch(/ok: uploaded/);
    await session!.screenshot('bad-input-serve-gone');
    session!.assertNoErrors();
  });
});
