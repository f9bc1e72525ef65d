/**
 * Keeps a board's flash in a FlashStore as it changes, the browser's counterpart of
 * ../io/flash-file.ts: every write and erase (and what a power cut left of one) marks its blocks,
 * and the marked blocks of one turn of the event loop are stored in one transaction. `settled`
 * counts the operations already stored, so a caller can hold back what depends on them (the
 * board's UART output: an SMP answer leaves only once the flash it acknowledges is stored).
 */
import { Listeners } from '../../util/listeners.ts';
import type { Board } from '../boards/board.ts';
import type { BoardFlashes } from '../boards/flashes.ts';
import type { Flash } from '../flash.ts';
import { FLASH_BLOCK_SIZE, type FlashBlock, type FlashStore } from './flash-store.ts';

/** What the stored blocks must match: the board's flash devices, sizes, sectors and erase values. */
export function flashGeometry(board: Board, flashes: BoardFlashes): string {
  return JSON.stringify({
    blockSize: FLASH_BLOCK_SIZE,
    devices: [...flashes].map(([id, flash]) => ({
      id,
      size: flash.size,
      eraseValue: flash.eraseValue,
      sectors: flash.sectors.map((sector) => sector.size),
    })),
    board: board.name,
  });
}

export class FlashKeeper {
  /** Operations seen (writes, erases, cut ones). */
  private seen = 0;
  /** Operations whose blocks are stored. */
  private stored = 0;
  private readonly dirty = new Map<string, Set<number>>();
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private failure: Error | undefined;
  private readonly settledListeners = new Listeners<void>();
  private readonly failureListeners = new Listeners<Error>();
  private readonly stops: Array<() => void> = [];

  constructor(
    private readonly store: FlashStore,
    private readonly board: string,
    private readonly geometry: string,
    private readonly flashes: BoardFlashes,
  ) {
    for (const [id, flash] of flashes) {
      this.stops.push(
        flash.onOperation((op) => {
          if (op.kind === 'read') return;
          this.mark(id, op.offset, op.length);
        }),
      );
    }
  }

  /**
   * Loads the stored flash into the board's flashes when it is this board's geometry. False when
   * nothing usable is stored: the store is then emptied for the board and every later change
   * is stored from scratch.
   */
  async load(): Promise<boolean> {
    const stored = await this.store.load(this.board);
    if (stored && stored.geometry === this.geometry) {
      for (const block of stored.blocks) {
        const flash = this.flashes.get(block.device);
        if (!flash || !block.bytes) continue;
        const offset = block.index * FLASH_BLOCK_SIZE;
        if (offset + block.bytes.length > flash.size) continue;
        flash.load(block.bytes, offset);
      }
      return true;
    }
    await this.store.save(this.board, this.geometry, [], true);
    return false;
  }

  /** The number of flash operations seen so far. */
  get operations(): number {
    return this.seen;
  }

  /** The number of operations whose result is stored (all of them when storage failed). */
  get settledOperations(): number {
    return this.failure ? this.seen : this.stored;
  }

  /** Called whenever more operations are stored. */
  onSettled(listener: () => void): () => void {
    return this.settledListeners.add(listener);
  }

  /** Called once if the store fails: from then on nothing is stored (and nothing is held back). */
  onFailure(listener: (error: Error) => void): () => void {
    return this.failureListeners.add(listener);
  }

  /** Resolves once everything seen so far is stored (or storage failed). */
  async flush(): Promise<void> {
    while (!this.failure && this.stored < this.seen) {
      if (!this.flushing) this.startFlush();
      await this.flushing;
    }
  }

  /** A range that changed without a flash operation (restored by a power cut): store it too. */
  changed(device: string, offset: number, length: number): void {
    this.mark(device, offset, length);
  }

  /** Stops following the flash (what is already queued is still stored). */
  detach(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  private mark(device: string, offset: number, length: number): void {
    this.seen++;
    let blocks = this.dirty.get(device);
    if (!blocks) {
      blocks = new Set();
      this.dirty.set(device, blocks);
    }
    const last = Math.floor((offset + Math.max(length, 1) - 1) / FLASH_BLOCK_SIZE);
    for (let index = Math.floor(offset / FLASH_BLOCK_SIZE); index <= last; index++) blocks.add(index);
    if (this.scheduled || this.failure) return;
    this.scheduled = true;
    // Everything one turn of work changed goes in one transaction.
    setTimeout(() => {
      this.scheduled = false;
      if (!this.flushing) this.startFlush();
    }, 0);
  }

  private startFlush(): void {
    const upTo = this.seen;
    const blocks: FlashBlock[] = [];
    for (const [device, indexes] of this.dirty) {
      const flash = this.flashes.get(device) as Flash;
      for (const index of indexes) blocks.push({ device, index, bytes: blockBytes(flash, index) });
    }
    this.dirty.clear();
    const run = this.store.save(this.board, this.geometry, blocks, false).then(
      () => {
        this.stored = upTo;
        this.settledListeners.emit();
      },
      (error: unknown) => {
        this.failure = error instanceof Error ? error : new Error(String(error));
        this.failureListeners.emit(this.failure);
        this.settledListeners.emit();
      },
    );
    this.flushing = run.finally(() => {
      this.flushing = undefined;
      // Changes made while this transaction ran go in the next one.
      if (!this.failure && this.stored < this.seen && !this.scheduled) this.startFlush();
    });
  }
}

/** A block's bytes now, or undefined when it is all erase value (not stored). */
function blockBytes(flash: Flash, index: number): Uint8Array | undefined {
  const offset = index * FLASH_BLOCK_SIZE;
  const bytes = flash.peek(offset, Math.min(FLASH_BLOCK_SIZE, flash.size - offset));
  return bytes.every((byte) => byte === flash.eraseValue) ? undefined : bytes.slice();
}
