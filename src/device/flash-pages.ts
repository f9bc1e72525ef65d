// Sparse storage for the flash model: the contents in 4 KiB pages, where a page that reads all
// erased is not stored at all. An idle board's flash then costs what was programmed (an image of a
// few KiB, a trailer), not its whole size; a thousand boards fit in one process.
// Snapshots share pages copy-on-write, so a power-cut sweep restores a state in O(pages).

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

/**
 * Dropped pages kept for reuse, shared by every store and bounded: an upload erases and rewrites
 * the same pages over and over, and reusing them spares the allocator and the GC.
 */
const spare: Uint8Array[] = [];
const SPARE_MAX = 256;

/** Pages as they were at a snapshot; never modified (the store copies a page before writing it). */
export interface PageSet {
  readonly size: number;
  readonly pages: readonly (Uint8Array | undefined)[];
}

export class PageStore {
  private pages: (Uint8Array | undefined)[];
  /** 32-bit views of the same pages, for fast erased checks. */
  private words: (Uint32Array | undefined)[];
  /** False where a page may be shared with a snapshot and must be copied before it is written. */
  private owned: boolean[];
  private readonly erasedWord: number;

  constructor(
    readonly size: number,
    readonly eraseValue: number,
  ) {
    const count = Math.ceil(size / PAGE_SIZE);
    this.pages = new Array(count).fill(undefined);
    this.words = new Array(count).fill(undefined);
    this.owned = new Array(count).fill(false);
    this.erasedWord = eraseValue === 0xff ? 0xffffffff : 0;
  }

  /** Pages holding anything but the erase value (an upper bound: a page erased in part is kept). */
  get storedPages(): number {
    let n = 0;
    for (const page of this.pages) if (page) n++;
    return n;
  }

  /** Copy [offset, offset+length) into `out` at `at`. */
  readInto(offset: number, length: number, out: Uint8Array, at = 0): void {
    const end = offset + length;
    let pos = offset;
    while (pos < end) {
      const index = pos >>> PAGE_SHIFT;
      const inPage = pos & (PAGE_SIZE - 1);
      const n = Math.min(PAGE_SIZE - inPage, end - pos);
      const page = this.pages[index];
      const dst = at + (pos - offset);
      if (page) out.set(page.subarray(inPage, inPage + n), dst);
      else out.fill(this.eraseValue, dst, dst + n);
      pos += n;
    }
  }

  read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readInto(offset, length, out);
    return out;
  }

  byteAt(offset: number): number {
    const page = this.pages[offset >>> PAGE_SHIFT];
    return page ? page[offset & (PAGE_SIZE - 1)]! : this.eraseValue;
  }

  /** Store bytes as they are (no NOR rule here: the Flash checks those). */
  write(offset: number, data: Uint8Array): void {
    const index = offset >>> PAGE_SHIFT;
    const inPage = offset & (PAGE_SIZE - 1);
    if (inPage + data.length <= PAGE_SIZE) {
      // Within one page, the common case (an upload chunk, a trailer field): no views to make.
      if (this.pages[index] === undefined && this.allErased(data)) return;
      (this.owned[index] ? this.pages[index]! : this.writablePage(index)).set(data, inPage);
      return;
    }
    const end = offset + data.length;
    let pos = offset;
    while (pos < end) {
      const index = pos >>> PAGE_SHIFT;
      const inPage = pos & (PAGE_SIZE - 1);
      const n = Math.min(PAGE_SIZE - inPage, end - pos);
      const chunk = data.subarray(pos - offset, pos - offset + n);
      // Programming the erase value into an absent page changes nothing: keep it absent.
      if (this.pages[index] || !this.allErased(chunk)) this.writablePage(index).set(chunk, inPage);
      pos += n;
    }
  }

  /** Set a range to one value; whole pages set to the erase value are dropped. */
  fill(offset: number, length: number, value: number): void {
    const end = offset + length;
    let pos = offset;
    while (pos < end) {
      const index = pos >>> PAGE_SHIFT;
      const inPage = pos & (PAGE_SIZE - 1);
      const n = Math.min(PAGE_SIZE - inPage, end - pos);
      const wholePage = n === PAGE_SIZE || (inPage === 0 && pos + n === this.size);
      if (value === this.eraseValue && (wholePage || !this.pages[index])) {
        if (wholePage) this.drop(index);
      } else {
        this.writablePage(index).fill(value, inPage, inPage + n);
      }
      pos += n;
    }
  }

  /** Offset of the first byte in the range that is not the erase value, or -1. */
  firstNotErased(offset: number, length: number): number {
    if (
      ((offset + length - 1) ^ offset) >>> PAGE_SHIFT === 0 &&
      this.pages[offset >>> PAGE_SHIFT] === undefined
    ) {
      return -1;
    }
    const end = offset + length;
    let pos = offset;
    const e = this.eraseValue;
    while (pos < end) {
      const index = pos >>> PAGE_SHIFT;
      const inPage = pos & (PAGE_SIZE - 1);
      const n = Math.min(PAGE_SIZE - inPage, end - pos);
      const page = this.pages[index];
      if (page) {
        const w = this.words[index]!;
        let i = inPage;
        const stop = inPage + n;
        while (i < stop && (i & 3) !== 0) {
          if (page[i] !== e) return pos - inPage + i;
          i++;
        }
        while (i + 4 <= stop) {
          if (w[i >> 2] !== this.erasedWord) break;
          i += 4;
        }
        while (i < stop) {
          if (page[i] !== e) return pos - inPage + i;
          i++;
        }
      }
      pos += n;
    }
    return -1;
  }

  /** Pages shared with the store from now on: both sides copy before writing. */
  snapshot(): PageSet {
    this.owned.fill(false);
    return { size: this.size, pages: this.pages.slice() };
  }

  restore(set: PageSet): void {
    this.pages = set.pages.slice();
    this.words = this.pages.map((page) => (page ? new Uint32Array(page.buffer) : undefined));
    this.owned.fill(false);
  }

  /** The whole contents as one array (a new copy). */
  dense(): Uint8Array {
    return this.read(0, this.size);
  }

  private allErased(chunk: Uint8Array): boolean {
    const e = this.eraseValue;
    for (let i = 0; i < chunk.length; i++) if (chunk[i] !== e) return false;
    return true;
  }

  private writablePage(index: number): Uint8Array {
    const page = this.pages[index];
    if (page && this.owned[index]) return page;
    const fresh = spare.pop() ?? new Uint8Array(PAGE_SIZE);
    if (page) fresh.set(page);
    else fresh.fill(this.eraseValue);
    this.pages[index] = fresh;
    this.words[index] = new Uint32Array(fresh.buffer);
    this.owned[index] = true;
    return fresh;
  }

  private drop(index: number): void {
    const page = this.pages[index];
    // A page no snapshot shares can be reused by any store.
    if (page && this.owned[index] && spare.length < SPARE_MAX) spare.push(page);
    this.pages[index] = undefined;
    this.words[index] = undefined;
    this.owned[index] = false;
  }
}
