/**
 * What the story tests share: the story page (pages/story) built once and served with the boards'
 * images, and the expected table of the user's story (as test/e2e/story.test.ts checks it for the
 * CLI), so every transport is held to the same rows.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { DEV_KEYS } from '../../../src/device/boards/bootloader-keys.ts';
import { getBoard } from '../../../src/device/boards/index.ts';
import { blinkyImageFor } from '../../../src/device/io/board-images.ts';
import { ensureBlinkyFirmware } from '../../device/server/fixtures.ts';
import { runZdfu } from '../../helpers/run-zdfu.ts';
import type { StoryResult, UploadFigures } from '../pages/story/page.ts';
import { buildTestPage } from './page-bundle.ts';
import { type StaticServer, startStaticServer } from './static-server.ts';

export type { StoryResult, UploadFigures };

const STORY_ENTRY = fileURLToPath(new URL('../pages/story/page.ts', import.meta.url));
const BOARD_WORKER = fileURLToPath(new URL('../../../src/device/web/board-worker.ts', import.meta.url));
const BOARD_DATA = fileURLToPath(new URL('../../../src/device/boards/data/', import.meta.url));

/**
 * Builds the story page with Binary Two for each board at images/<board>/two.bin (signed for that
 * board's MCUboot); returns its folder, which any static server (ours, zdfu serve's) can serve.
 */
export async function buildStoryPage(boards: readonly string[]): Promise<string> {
  await ensureBlinkyFirmware();
  const dir = await buildTestPage('story', STORY_ENTRY, 'zdfu story page', { 'board-worker': BOARD_WORKER });
  for (const name of boards) {
    const board = getBoard(name);
    mkdirSync(join(dir, 'images', name), { recursive: true });
    writeFileSync(join(dir, 'images', name, 'two.bin'), await blinkyImageFor(board, 'blinky-two'));
    // What the in-tab virtual board is given by its page: board file, MCUboot's key, Binary One.
    writeFileSync(join(dir, 'images', name, 'one.bin'), await blinkyImageFor(board, 'blinky-one'));
    writeFileSync(join(dir, 'images', name, 'board.yaml'), readFileSync(join(BOARD_DATA, `${name}.yaml`)));
    const key = board.mcuboot.signature === 'none' ? undefined : DEV_KEYS[board.mcuboot.signature];
    if (key) writeFileSync(join(dir, 'images', name, 'key.pem'), key.publicPem);
  }
  return dir;
}

/** The story page on a loopback static server. */
export async function serveStoryPage(boards: readonly string[]): Promise<StaticServer> {
  return startStaticServer(await buildStoryPage(boards));
}

/** The story's rows, as the CLI's story test expects them. */
export function expectStory(result: StoryResult): void {
  const rows = Object.fromEntries(result.steps.map((s) => [s.step, s.detail]));
  const table = result.steps.map((s) => `${s.step}: ${s.detail}`).join('\n');
  expect(rows.echo, table).toBe('hello');
  expect(rows['stat list']?.split(' '), table).toContain('smp_server_stats');
  expect(rows['smp_server_stats rising'], table).toMatch(/\(rising\)$/);
  expect(rows['image list'], table).toBe('slot 0: 1.0.0 [active confirmed]');
  expect(rows['after upload'], table).toBe('slot 0: 1.0.0 [active confirmed], slot 1: 2.0.0 [no flags]');
  expect(rows['image test'], table).toBe('slot 0: 1.0.0 [active confirmed], slot 1: 2.0.0 [pending]');
  expect(rows.reset, table).toBe('the device answers again');
  expect(rows['after reset (swap)'], table).toBe('slot 0: 2.0.0 [active], slot 1: 1.0.0 [confirmed]');
  expect(rows['image confirm'], table).toBe('slot 0: 2.0.0 [active confirmed], slot 1: 1.0.0 [no flags]');
  expect(result.upload.bytes).toBeGreaterThan(6000);
}

/** "6596 B in 812 ms = 8.1 kB/s (chunks of 999 B, window 1, 7 requests)". */
export function describeSpeed(figures: UploadFigures): string {
  const { bytes, ms } = figures;
  return (
    `${bytes} B in ${Math.round(ms)} ms = ${(bytes / ms).toFixed(1)} kB/s ` +
    `(chunks of ${figures.chunkSize} B, window ${figures.window}, ${figures.requests} requests)`
  );
}

/**
 * `zdfu --json <connection> image upload FILE` in this process; its own figures, as the page's.
 */
export async function cliUpload(connection: readonly string[], file: string): Promise<UploadFigures> {
  const run = await runZdfu(['--json', ...connection, 'image', 'upload', file], {});
  if (run.code !== 0) throw new Error(`zdfu image upload failed (${run.code}): ${run.err}`);
  const doc = JSON.parse(run.out) as {
    bytes: number;
    elapsedMs: number;
    chunkSize: number;
    window: number;
    requests: number;
  };
  return {
    bytes: doc.bytes,
    ms: doc.elapsedMs,
    chunkSize: doc.chunkSize,
    window: doc.window,
    requests: doc.requests,
  };
}
