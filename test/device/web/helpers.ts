/**
 * Runs the browser board in Node: the worker's handler (serveBoardPort) on one end of a
 * MessageChannel, the page's handle (startVirtualBoard) on the other, with the assets a page
 * would fetch (board file text, MCUboot's public key, Binary One).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEV_KEYS } from '../../../src/device/boards/bootloader-keys.ts';
import { getBoard } from '../../../src/device/boards/index.ts';
import { blinkyImageFor } from '../../../src/device/io/board-images.ts';
import { type BoardPort, type BoardWorkerEnv, serveBoardPort } from '../../../src/device/web/board-worker.ts';
import type { FlashBlock, FlashStore, StoredFlash } from '../../../src/device/web/flash-store.ts';
import {
  type BoardWorkerLike,
  startVirtualBoard,
  type VirtualBoardAssets,
  type VirtualBoardHandle,
  type VirtualBoardOptions,
} from '../../../src/device/web/virtual-board.ts';
import { ensureBlinkyFirmware, ROOT } from '../server/fixtures.ts';

export async function boardAssets(board = 'nrf52840dk'): Promise<VirtualBoardAssets> {
  await ensureBlinkyFirmware();
  const parsed = getBoard(board);
  const key = DEV_KEYS[parsed.mcuboot.signature];
  return {
    boardYaml: readFileSync(join(ROOT, 'src', 'device', 'boards', 'data', `${board}.yaml`), 'utf8'),
    ...(key ? { bootloaderKeyPem: key.publicPem } : {}),
    factoryImages: [await blinkyImageFor(parsed, 'blinky-one')],
  };
}

/** The page end of a channel whose other end is a board worker's handler. */
export function boardChannel(store?: FlashStore, env: BoardWorkerEnv = {}): BoardWorkerLike {
  const channel = new MessageChannel();
  serveBoardPort(channel.port2 as unknown as BoardPort, { ...env, ...(store ? { memoryStore: store } : {}) });
  channel.port1.start();
  return channel.port1 as unknown as BoardWorkerLike;
}

/** A board in "this tab", fast unless told otherwise (no UART pacing, no flash time). */
export async function startBoard(
  store: FlashStore | undefined,
  options: Partial<VirtualBoardOptions> = {},
  env: BoardWorkerEnv = {},
): Promise<VirtualBoardHandle> {
  return startVirtualBoard({
    board: 'nrf52840dk',
    storage: 'memory',
    assets: await boardAssets(),
    baud: 0,
    flashTimeScale: 0,
    worker: boardChannel(store, env),
    ...options,
  });
}

/**
 * A memory store whose transactions take `delayMs` to commit, like IndexedDB's: what was not yet
 * committed when the page "reloads" is lost. `committed` is what a reload would find.
 */
export class SlowStore implements FlashStore {
  private readonly blocks = new Map<string, FlashBlock>();
  private geometry: string | undefined;
  saves = 0;

  constructor(private readonly delayMs: number) {}

  async load(): Promise<StoredFlash | undefined> {
    if (this.geometry === undefined) return undefined;
    return { geometry: this.geometry, blocks: [...this.blocks.values()] };
  }

  async save(
    _board: string,
    geometry: string,
    blocks: readonly FlashBlock[],
    replace: boolean,
  ): Promise<void> {
    const copies = blocks.map((block) => ({ ...block, bytes: block.bytes?.slice() }));
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (replace) this.blocks.clear();
    this.geometry = geometry;
    for (const block of copies) {
      const key = `${block.device}/${block.index}`;
      if (block.bytes === undefined) this.blocks.delete(key);
      else this.blocks.set(key, block);
    }
    this.saves++;
  }

  /** The committed bytes of `device` from `offset`, erased (0xff) where no block is stored. */
  read(device: string, offset: number, length: number, blockSize: number): Uint8Array {
    const out = new Uint8Array(length).fill(0xff);
    for (const block of this.blocks.values()) {
      if (block.device !== device || !block.bytes) continue;
      const start = block.index * blockSize;
      for (let i = 0; i < block.bytes.length; i++) {
        const at = start + i - offset;
        if (at >= 0 && at < length) out[at] = block.bytes[i]!;
      }
    }
    return out;
  }

  close(): void {}
}

/** Waits until `check` holds, polling; fails with `what` after `ms`. */
export async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
