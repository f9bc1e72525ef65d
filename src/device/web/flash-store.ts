/**
 * Where a browser board's flash is kept between page loads: fixed-size blocks of each flash device,
 * keyed by board name, device id and block index, plus one record naming the geometry they belong
 * to. A block that is all erase value is not stored (a 1 MiB flash holding one small image is a
 * few dozen records). Two stores: IndexedDB (survives a reload: the reload is a power cycle) and
 * memory (tests, or a board that forgets everything with its worker).
 */

/** Bytes per stored block: small enough that one SMP write dirties little, big enough to be few. */
export const FLASH_BLOCK_SIZE = 4096;

/** One block of one flash device; `bytes` undefined: the block is erased (its record is removed). */
export interface FlashBlock {
  readonly device: string;
  readonly index: number;
  readonly bytes: Uint8Array | undefined;
}

/** What a board's stored flash is: its geometry signature and the blocks that are not erased. */
export interface StoredFlash {
  readonly geometry: string;
  readonly blocks: readonly FlashBlock[];
}

export interface FlashStore {
  /** The board's stored flash, or undefined when nothing is stored for it. */
  load(board: string): Promise<StoredFlash | undefined>;
  /**
   * Stores blocks (and the geometry) in one transaction; `replace` first drops everything stored
   * for the board. Resolves once the transaction committed.
   */
  save(board: string, geometry: string, blocks: readonly FlashBlock[], replace: boolean): Promise<void>;
  close(): void;
}

/** A store in memory: lives as long as the object (tests share one across "reloads"). */
export class MemoryFlashStore implements FlashStore {
  private readonly boards = new Map<string, { geometry: string; blocks: Map<string, FlashBlock> }>();

  async load(board: string): Promise<StoredFlash | undefined> {
    const stored = this.boards.get(board);
    if (!stored) return undefined;
    return {
      geometry: stored.geometry,
      blocks: [...stored.blocks.values()].map((block) => ({ ...block, bytes: block.bytes?.slice() })),
    };
  }

  async save(
    board: string,
    geometry: string,
    blocks: readonly FlashBlock[],
    replace: boolean,
  ): Promise<void> {
    const previous = this.boards.get(board);
    const kept = replace || !previous ? new Map<string, FlashBlock>() : previous.blocks;
    for (const block of blocks) {
      const key = `${block.device}/${block.index}`;
      if (block.bytes === undefined) kept.delete(key);
      else kept.set(key, { device: block.device, index: block.index, bytes: block.bytes.slice() });
    }
    this.boards.set(board, { geometry, blocks: kept });
  }

  close(): void {}
}

const DB_VERSION = 1;
const BLOCKS = 'blocks';
const BOARDS = 'boards';
/** How long opening the database may take (another tab holding an older version blocks it). */
const OPEN_TIMEOUT_MS = 10_000;

/** The browser refused or failed a storage step; the message says which and why. */
export class FlashStoreError extends Error {
  override readonly name = 'FlashStoreError';
}

function request<T>(req: IDBRequest<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () =>
      reject(new FlashStoreError(`${what}: ${req.error?.message ?? 'unknown IndexedDB error'}`));
  });
}

function committed(tx: IDBTransaction, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    const fail = () =>
      reject(new FlashStoreError(`${what}: ${tx.error?.message ?? 'the IndexedDB transaction was aborted'}`));
    tx.onerror = fail;
    tx.onabort = fail;
  });
}

/** Every key of a board's blocks: [board, device, index] sorts between [board] and [board, []]. */
function boardRange(board: string): IDBKeyRange {
  return IDBKeyRange.bound([board], [board, []]);
}

/** The flash kept in IndexedDB, database `name`, from `factory` (the page's or worker's indexedDB). */
export class IndexedDbFlashStore implements FlashStore {
  private constructor(private readonly db: IDBDatabase) {}

  static async open(
    factory: IDBFactory = indexedDB,
    name = 'zdfu-virtual-boards',
  ): Promise<IndexedDbFlashStore> {
    const opening = factory.open(name, DB_VERSION);
    opening.onupgradeneeded = () => {
      const db = opening.result;
      if (!db.objectStoreNames.contains(BLOCKS)) db.createObjectStore(BLOCKS);
      if (!db.objectStoreNames.contains(BOARDS)) db.createObjectStore(BOARDS);
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new FlashStoreError(
              `opening IndexedDB database ${name} took over ${OPEN_TIMEOUT_MS} ms (another tab with an older zdfu open?)`,
            ),
          ),
        OPEN_TIMEOUT_MS,
      );
    });
    try {
      const db = await Promise.race([request(opening, `cannot open IndexedDB database ${name}`), timeout]);
      return new IndexedDbFlashStore(db);
    } finally {
      clearTimeout(timer);
    }
  }

  async load(board: string): Promise<StoredFlash | undefined> {
    const tx = this.db.transaction([BOARDS, BLOCKS], 'readonly');
    const what = `reading the stored flash of ${board}`;
    const [geometry, keys, values] = await Promise.all([
      request(tx.objectStore(BOARDS).get(board) as IDBRequest<string | undefined>, what),
      request(tx.objectStore(BLOCKS).getAllKeys(boardRange(board)), what),
      request(tx.objectStore(BLOCKS).getAll(boardRange(board)) as IDBRequest<Uint8Array[]>, what),
    ]);
    if (geometry === undefined) return undefined;
    const blocks = keys.map((key, i) => {
      const [, device, index] = key as [string, string, number];
      return { device, index, bytes: values[i] };
    });
    return { geometry, blocks };
  }

  async save(
    board: string,
    geometry: string,
    blocks: readonly FlashBlock[],
    replace: boolean,
  ): Promise<void> {
    const tx = this.db.transaction([BOARDS, BLOCKS], 'readwrite');
    const done = committed(tx, `storing the flash of ${board}`);
    const store = tx.objectStore(BLOCKS);
    if (replace) store.delete(boardRange(board));
    tx.objectStore(BOARDS).put(geometry, board);
    for (const block of blocks) {
      const key = [board, block.device, block.index];
      if (block.bytes === undefined) store.delete(key);
      else store.put(block.bytes, key);
    }
    return done;
  }

  close(): void {
    this.db.close();
  }
}
