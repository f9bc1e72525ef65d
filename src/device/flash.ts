// A NOR-flash model with real sector geometry, in the spirit of MCUboot's simflash: erases cover
// whole sectors, writes are aligned and may only touch bytes still erased since the last erase.
// Unlike simflash, programming the erase value leaves a cell erased (as on real NOR flash), so an
// erased trailer copied from another slot can still have its flags written later.
// Every operation passes through Flash.perform(), which counts it, adds its simulated duration
// (no sleeping), can cut power before it or inside it (a torn write, a partial erase: see
// flash-tear.ts), and then notifies observers. Contents are stored sparsely (flash-pages.ts).
import { Listeners } from '../util/listeners.ts';
import { type PageSet, PageStore } from './flash-pages.ts';
import {
  type CutDetail,
  type CutInside,
  clampFraction,
  pickEraseMode,
  seededRandom,
  tearErase,
  tearWrite,
} from './flash-tear.ts';

export type { CutDetail, CutInside, PartialEraseMode, TornWord } from './flash-tear.ts';

export type FlashOpKind = 'read' | 'write' | 'erase';

/** How long the chip takes, used to accumulate simulated time. */
export interface FlashTiming {
  /** Erase duration in milliseconds per sector size in bytes (e.g. { 131072: 1000 }). */
  eraseMsBySectorSize: Record<number, number>;
  /** Programming time per byte, in microseconds. */
  programUsPerByte: number;
  /** Read time per byte, in microseconds (memory-mapped flash is fast but not free). */
  readUsPerByte: number;
}

export interface FlashOptions {
  name?: string;
  /** Size of every sector, lowest address first. */
  sectors: readonly number[];
  eraseValue?: number;
  /** Write alignment and granularity (Zephyr's write-block-size). */
  writeAlign?: number;
  timing?: FlashTiming;
}

export interface FlashOperation {
  kind: FlashOpKind;
  /** Absolute offset in the device. */
  offset: number;
  length: number;
  /** 1-based count of all operations since creation. */
  number: number;
  /** 1-based count of writes and erases only (the units power cuts are placed between). */
  mutationNumber?: number;
  /** Simulated duration of this operation in microseconds. */
  durationUs: number;
  /**
   * For writes: the bytes programmed (a view; copy it if you keep it). For an operation cut short
   * (`cut` set): what the range holds afterwards, erases included.
   */
  data?: Uint8Array;
  /** Set when the power failed inside this operation: it was done only in part. */
  cut?: CutDetail;
}

/** Where a power cut falls: before, or inside, one of the next writes and erases. */
export interface CutPlan {
  /** Which write or erase, counted from now: 1 = the next one. */
  mutation: number;
  /** Left out: the power fails just before that operation. Given: during it (torn write, partial erase). */
  inside?: CutInside;
}

export type CutKind = 'before' | 'torn-write' | 'partial-erase';

export interface FlashStats {
  reads: number;
  writes: number;
  erases: number;
  bytesRead: number;
  bytesWritten: number;
  bytesErased: number;
  /** Simulated time spent in flash operations, microseconds. */
  timeUs: number;
}

export interface Sector {
  offset: number;
  size: number;
}

/** Bad use of the flash (unaligned, out of bounds, write to unerased bytes …). */
export class FlashError extends Error {
  override name = 'FlashError';
  constructor(
    message: string,
    readonly flashName: string,
    readonly offset: number,
    readonly length: number,
  ) {
    super(message);
  }
}

/** Thrown instead of (or in the middle of) an operation when the power fails. */
export class PowerCut extends Error {
  override name = 'PowerCut';
  /** 'before': the operation did not start; otherwise it was done in part, as `detail` says. */
  readonly cut: CutKind;
  constructor(
    readonly mutationNumber: number,
    readonly kind: FlashOpKind,
    readonly offset: number,
    readonly detail?: CutDetail,
  ) {
    super(cutMessage(mutationNumber, kind, offset, detail));
    this.cut = detail?.kind ?? 'before';
  }
}

function cutMessage(n: number, kind: FlashOpKind, offset: number, detail?: CutDetail): string {
  const what = `${kind} at 0x${offset.toString(16)}`;
  if (!detail) return `power cut before flash operation #${n} (${what})`;
  if (detail.kind === 'torn-write') {
    return `power cut inside flash operation #${n} (${what}): ${detail.programmed} bytes programmed, word at 0x${detail.wordOffset.toString(16)} left ${detail.word === 'partial' ? 'partly programmed' : `${detail.word}`}`;
  }
  return `power cut inside flash operation #${n} (${what}): sector 0x${detail.sectorOffset.toString(16)} ${detail.mode} up to byte ${detail.reached} of ${detail.sectorSize}`;
}

/** Contents at one moment (pages shared copy-on-write: cheap to take and to restore). */
export interface FlashSnapshot {
  readonly pages: PageSet;
}

const DEFAULT_TIMING: FlashTiming = { eraseMsBySectorSize: {}, programUsPerByte: 0, readUsPerByte: 0 };

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

export class Flash {
  readonly name: string;
  readonly size: number;
  readonly eraseValue: number;
  readonly writeAlign: number;
  readonly sectors: readonly Sector[];
  readonly timing: FlashTiming;
  private readonly store: PageStore;
  private readonly observers = new Listeners<FlashOperation>();
  private opCount = 0;
  private mutationCount = 0;
  /** Absolute mutation number the armed cut falls on, and where inside it. */
  private armed: { at: number; inside?: CutInside } | undefined;
  /** Dense copy handed out by contents(), valid while no write or erase happened since. */
  private view: { bytes: Uint8Array; generation: number } | undefined;
  private generation = 0;
  private fired: PowerCut | undefined;
  private poweredOff = false;
  private counters: FlashStats = {
    reads: 0,
    writes: 0,
    erases: 0,
    bytesRead: 0,
    bytesWritten: 0,
    bytesErased: 0,
    timeUs: 0,
  };

  constructor(opts: FlashOptions) {
    this.name = opts.name ?? 'flash';
    this.eraseValue = opts.eraseValue ?? 0xff;
    this.writeAlign = opts.writeAlign ?? 1;
    this.timing = opts.timing ?? DEFAULT_TIMING;
    if (opts.sectors.length === 0) throw new RangeError(`${this.name}: a flash needs at least one sector`);
    if (this.eraseValue !== 0xff && this.eraseValue !== 0x00) {
      throw new RangeError(`${this.name}: erase value must be 0xff or 0x00 (got ${hex(this.eraseValue)})`);
    }
    if (!Number.isInteger(this.writeAlign) || this.writeAlign < 1) {
      throw new RangeError(
        `${this.name}: write alignment must be a positive integer (got ${this.writeAlign})`,
      );
    }
    let off = 0;
    const sectors: Sector[] = [];
    for (const size of opts.sectors) {
      if (!Number.isInteger(size) || size <= 0 || size % this.writeAlign !== 0) {
        throw new RangeError(`${this.name}: bad sector size ${size}`);
      }
      sectors.push({ offset: off, size });
      off += size;
    }
    this.sectors = sectors;
    this.size = off;
    this.store = new PageStore(this.size, this.eraseValue);
  }

  /** 4 KiB pages actually held in memory (erased pages are not stored). */
  get storedPages(): number {
    return this.store.storedPages;
  }

  /** Counters since creation (a copy). */
  get stats(): FlashStats {
    return { ...this.counters };
  }

  /** Number of writes + erases performed so far (the sim's "flash operation count"). */
  get mutations(): number {
    return this.mutationCount;
  }

  get isPoweredOff(): boolean {
    return this.poweredOff;
  }

  /** The last armed cut that fired (kept after powerOn, for reports: a caller may have swallowed it). */
  get lastCut(): PowerCut | undefined {
    return this.fired;
  }

  /** Subscribe to every performed operation; returns the unsubscribe function. */
  onOperation(listener: (op: FlashOperation) => void): () => void {
    return this.observers.add(listener);
  }

  /**
   * Cut the power before the n-th write/erase from now (n ≥ 1): operations 1..n−1 happen, the
   * n-th throws PowerCut, and every later operation throws too until powerOn().
   */
  cutPowerBefore(n: number): void {
    this.cutPower({ mutation: n });
  }

  /**
   * Arm a power cut before or inside the plan's write/erase (counted from now). Inside a write,
   * the words before `fraction` are programmed and the word in flight is old, new or partly
   * programmed; inside an erase, earlier sectors are erased and the one in flight is left as the
   * seed picks (flash-tear.ts). The operation then throws PowerCut, and so does every later one
   * until powerOn().
   */
  cutPower(plan: CutPlan): void {
    const n = plan.mutation;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`power cut point must be ≥ 1 (got ${n})`);
    const inside = plan.inside;
    if (inside) {
      if (!Number.isFinite(inside.fraction) || inside.fraction < 0 || inside.fraction >= 1) {
        throw new RangeError(`a cut inside an operation needs a fraction in [0, 1) (got ${inside.fraction})`);
      }
      if (!Number.isInteger(inside.seed))
        throw new RangeError(`a cut's seed must be an integer (got ${inside.seed})`);
      this.armed = { at: this.mutationCount + n, inside: { ...inside } };
    } else {
      this.armed = { at: this.mutationCount + n };
    }
  }

  /** Restore power (a reset): flash contents are kept, any pending cut is cancelled. */
  powerOn(): void {
    this.poweredOff = false;
    this.armed = undefined;
  }

  /** The sector containing an absolute offset. */
  sectorAt(offset: number): Sector {
    if (offset < 0 || offset >= this.size) {
      throw new FlashError(
        `${this.name}: offset ${hex(offset)} is outside the ${this.size}-byte flash`,
        this.name,
        offset,
        0,
      );
    }
    let lo = 0;
    let hi = this.sectors.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.sectors[mid]!.offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return this.sectors[lo]!;
  }

  /** Sectors fully inside [offset, offset+length); throws if the range does not fall on sector edges. */
  sectorsIn(offset: number, length: number): Sector[] {
    this.checkBounds('range', offset, length);
    const first = this.sectorAt(offset);
    if (first.offset !== offset) {
      throw new FlashError(
        `${this.name}: ${hex(offset)} is not a sector boundary (sector starts at ${hex(first.offset)})`,
        this.name,
        offset,
        length,
      );
    }
    const out: Sector[] = [];
    let off = offset;
    while (off < offset + length) {
      const s = this.sectorAt(off);
      out.push(s);
      off += s.size;
    }
    if (off !== offset + length) {
      throw new FlashError(
        `${this.name}: range ${hex(offset)}+${hex(length)} ends inside a sector (next boundary ${hex(off)})`,
        this.name,
        offset,
        length,
      );
    }
    return out;
  }

  read(offset: number, length: number): Uint8Array {
    this.checkBounds('read', offset, length);
    this.perform('read', offset, length);
    return this.store.read(offset, length);
  }

  write(offset: number, data: Uint8Array): void {
    const length = data.length;
    this.checkBounds('write', offset, length);
    if (offset % this.writeAlign !== 0 || length % this.writeAlign !== 0) {
      throw new FlashError(
        `${this.name}: write of ${length} bytes at ${hex(offset)} is not aligned to the ${this.writeAlign}-byte write block`,
        this.name,
        offset,
        length,
      );
    }
    const i = this.store.firstNotErased(offset, length);
    if (i >= 0) {
      throw new FlashError(
        `${this.name}: write to unerased location ${hex(i)} (programmed since its last erase; erase the sector first)`,
        this.name,
        offset,
        length,
      );
    }
    this.perform('write', offset, length, data);
  }

  /** Erase exactly whole sectors. */
  erase(offset: number, length: number): void {
    const sectors = this.sectorsIn(offset, length);
    this.perform('erase', offset, length, undefined, sectors);
  }

  /** True if every byte in the range reads as the erase value (no operation is counted). */
  isErased(offset: number, length: number): boolean {
    this.checkBounds('check', offset, length);
    return this.store.firstNotErased(offset, length) < 0;
  }

  /** The contents now, for tests and power-fail sweeps (shares pages copy-on-write). */
  snapshot(): FlashSnapshot {
    return { pages: this.store.snapshot() };
  }

  restore(snap: FlashSnapshot): void {
    if (snap.pages.size !== this.size) {
      throw new RangeError(`${this.name}: snapshot is of ${snap.pages.size} bytes, flash is ${this.size}`);
    }
    this.store.restore(snap.pages);
    this.generation++;
  }

  /** Load raw contents (e.g. from a file, or a factory programmer) without counting operations. */
  load(contents: Uint8Array, offset = 0): void {
    if (offset < 0 || offset + contents.length > this.size) {
      throw new RangeError(
        `${this.name}: ${contents.length} bytes at ${hex(offset)} do not fit in the ${this.size}-byte flash`,
      );
    }
    this.store.write(offset, contents);
    this.generation++;
  }

  /**
   * The whole contents as one array; never modify it. It is built on demand (the flash is stored
   * sparsely) and reused until the next write, erase, load or restore.
   */
  contents(): Uint8Array {
    if (this.view?.generation !== this.generation) {
      this.view = { bytes: this.store.dense(), generation: this.generation };
    }
    return this.view.bytes;
  }

  /** Bytes without counting an operation (for inspection by tests and tools). */
  peek(offset: number, length: number): Uint8Array {
    this.checkBounds('peek', offset, length);
    return this.store.read(offset, length);
  }

  private checkBounds(what: string, offset: number, length: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0) {
      throw new FlashError(`${this.name}: bad ${what} range ${offset}+${length}`, this.name, offset, length);
    }
    if (offset + length > this.size) {
      throw new FlashError(
        `${this.name}: ${what} of ${length} bytes at ${hex(offset)} runs past the end of the ${this.size}-byte flash`,
        this.name,
        offset,
        length,
      );
    }
  }

  /** The one place every operation goes through. */
  private perform(kind: FlashOpKind, offset: number, length: number, data?: Uint8Array, sectors?: Sector[]) {
    const mutating = kind !== 'read';
    if (this.poweredOff) throw new PowerCut(this.mutationCount + 1, kind, offset);
    const armed = this.armed;
    if (mutating && armed !== undefined && this.mutationCount + 1 >= armed.at) {
      this.poweredOff = true;
      this.armed = undefined;
      if (armed.inside === undefined) {
        this.fired = new PowerCut(this.mutationCount + 1, kind, offset);
        throw this.fired;
      }
      this.performCut(kind, offset, length, armed.inside, data, sectors);
    }
    let durationUs = 0;
    if (kind === 'read') {
      this.counters.reads++;
      this.counters.bytesRead += length;
      durationUs = length * this.timing.readUsPerByte;
    } else if (kind === 'write' && data) {
      this.store.write(offset, data);
      this.counters.writes++;
      this.counters.bytesWritten += length;
      durationUs = length * this.timing.programUsPerByte;
    } else if (kind === 'erase' && sectors) {
      this.store.fill(offset, length, this.eraseValue);
      this.counters.erases++;
      this.counters.bytesErased += length;
      for (const s of sectors) durationUs += this.eraseUs(s);
    }
    this.counted(kind, offset, length, durationUs, data);
  }

  private eraseUs(s: Sector): number {
    return (this.timing.eraseMsBySectorSize[s.size] ?? 0) * 1000;
  }

  private counted(
    kind: FlashOpKind,
    offset: number,
    length: number,
    durationUs: number,
    data?: Uint8Array,
    cut?: CutDetail,
  ): void {
    this.counters.timeUs += durationUs;
    this.opCount++;
    if (kind !== 'read') {
      this.mutationCount++;
      this.generation++;
    }
    if (this.observers.size === 0) return;
    const op: FlashOperation = { kind, offset, length, number: this.opCount, durationUs };
    if (kind !== 'read') op.mutationNumber = this.mutationCount;
    if (data) op.data = data;
    if (cut) op.cut = cut;
    this.observers.emit(op);
  }

  /** Do part of a write or erase, count it as started, then fail with PowerCut. */
  private performCut(
    kind: FlashOpKind,
    offset: number,
    length: number,
    inside: CutInside,
    data?: Uint8Array,
    sectors?: Sector[],
  ): never {
    const fraction = clampFraction(inside.fraction);
    let detail: CutDetail;
    let durationUs: number;
    if (kind === 'write' && data) {
      const torn = tearWrite(this.store.read(offset, length), data, this.writeAlign, inside);
      this.store.write(offset, torn.bytes);
      detail = {
        kind: 'torn-write',
        programmed: torn.programmed,
        wordOffset: offset + torn.programmed,
        word: torn.word,
      };
      this.counters.writes++;
      this.counters.bytesWritten += torn.programmed;
      durationUs = (torn.programmed + this.writeAlign) * this.timing.programUsPerByte;
    } else if (kind === 'erase' && sectors) {
      // Sectors are erased one after the other, lowest first (Zephyr's flash drivers loop so).
      const at = offset + Math.floor(fraction * length);
      const sector = sectors.find((s) => at < s.offset + s.size) ?? sectors[sectors.length - 1]!;
      const done = sector.offset - offset;
      if (done > 0) this.store.fill(offset, done, this.eraseValue);
      const random = seededRandom(inside.seed);
      const mode = pickEraseMode(random);
      const reached = at - sector.offset;
      const old = this.store.read(sector.offset, sector.size);
      this.store.write(sector.offset, tearErase(old, this.eraseValue, reached, mode, random));
      detail = { kind: 'partial-erase', sectorOffset: sector.offset, sectorSize: sector.size, reached, mode };
      this.counters.erases++;
      this.counters.bytesErased += done;
      durationUs = 0;
      for (const s of sectors) if (s.offset < sector.offset) durationUs += this.eraseUs(s);
      durationUs += (this.eraseUs(sector) * reached) / sector.size;
    } else {
      throw new RangeError(`${this.name}: a ${kind} cannot be cut inside`);
    }
    const after = this.observers.size > 0 ? this.store.read(offset, length) : undefined;
    this.counted(kind, offset, length, durationUs, after, detail);
    this.fired = new PowerCut(this.mutationCount, kind, offset, detail);
    throw this.fired;
  }
}

export interface FlashAreaOptions {
  /** Partition label, used in error messages (e.g. "slot0_partition"). */
  label: string;
  /** Offset of the partition inside the flash device. */
  offset: number;
  size: number;
}

/** A partition of a Flash: same operations, offsets relative to its start, bounds-checked. */
export class FlashArea {
  readonly label: string;
  readonly offset: number;
  readonly size: number;
  /** Sectors with offsets relative to the area start. */
  readonly sectors: readonly Sector[];

  constructor(
    readonly flash: Flash,
    opts: FlashAreaOptions,
  ) {
    this.label = opts.label;
    this.offset = opts.offset;
    this.size = opts.size;
    if (opts.offset < 0 || opts.size <= 0 || opts.offset + opts.size > flash.size) {
      throw new RangeError(
        `${opts.label}: partition ${hex(opts.offset)}+${hex(opts.size)} does not fit in ${flash.name} (${hex(flash.size)} bytes)`,
      );
    }
    this.sectors = flash
      .sectorsIn(opts.offset, opts.size)
      .map((s) => ({ offset: s.offset - opts.offset, size: s.size }));
  }

  get align(): number {
    return this.flash.writeAlign;
  }

  get eraseValue(): number {
    return this.flash.eraseValue;
  }

  /** The sector containing an area-relative offset. */
  sectorAt(offset: number): Sector {
    this.check('sector lookup', offset, 1);
    const s = this.flash.sectorAt(this.offset + offset);
    return { offset: s.offset - this.offset, size: s.size };
  }

  read(offset: number, length: number): Uint8Array {
    this.check('read', offset, length);
    return this.flash.read(this.offset + offset, length);
  }

  write(offset: number, data: Uint8Array): void {
    this.check('write', offset, data.length);
    this.flash.write(this.offset + offset, data);
  }

  erase(offset: number, length: number): void {
    this.check('erase', offset, length);
    this.flash.erase(this.offset + offset, length);
  }

  isErased(offset: number, length: number): boolean {
    this.check('check', offset, length);
    return this.flash.isErased(this.offset + offset, length);
  }

  /** Contents without counting an operation (for inspection by tests and tools, not by MCUboot). */
  peek(offset = 0, length = this.size - offset): Uint8Array {
    this.check('peek', offset, length);
    return this.flash.peek(this.offset + offset, length);
  }

  private check(what: string, offset: number, length: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0) {
      throw new FlashError(
        `${this.label}: bad ${what} range ${offset}+${length}`,
        this.label,
        offset,
        length,
      );
    }
    if (offset + length > this.size) {
      throw new FlashError(
        `${this.label}: ${what} of ${length} bytes at ${hex(offset)} runs past the end of the ${hex(this.size)}-byte partition`,
        this.label,
        offset,
        length,
      );
    }
  }
}
