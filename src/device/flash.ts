// A NOR-flash model with real sector geometry, in the spirit of MCUboot's simflash: erases cover
// whole sectors, writes are aligned and may only touch bytes still erased since the last erase.
// Unlike simflash, programming the erase value leaves a cell erased (as on real NOR flash), so an
// erased trailer copied from another slot can still have its flags written later.
// Every operation passes through Flash.perform(), which counts it, adds its simulated duration
// (no sleeping), can cut power before it, and then notifies observers.
import { Listeners } from '../util/listeners.ts';

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
  /** For writes: the bytes programmed (a view; copy it if you keep it). */
  data?: Uint8Array;
}

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

/** Thrown instead of performing an operation when the power was cut before it. */
export class PowerCut extends Error {
  override name = 'PowerCut';
  constructor(
    readonly mutationNumber: number,
    readonly kind: FlashOpKind,
    readonly offset: number,
  ) {
    super(`power cut before flash operation #${mutationNumber} (${kind} at 0x${offset.toString(16)})`);
  }
}

export interface FlashSnapshot {
  bytes: Uint8Array;
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
  private readonly bytes: Uint8Array;
  /** Word view of the same memory, for fast erased-range checks. */
  private readonly words: Uint32Array;
  private readonly observers = new Listeners<FlashOperation>();
  private opCount = 0;
  private mutationCount = 0;
  private cutBefore: number | undefined;
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
    const buffer = new ArrayBuffer(Math.ceil(this.size / 4) * 4);
    this.bytes = new Uint8Array(buffer, 0, this.size).fill(this.eraseValue);
    this.words = new Uint32Array(buffer);
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

  /** Subscribe to every performed operation; returns the unsubscribe function. */
  onOperation(listener: (op: FlashOperation) => void): () => void {
    return this.observers.add(listener);
  }

  /**
   * Cut the power before the n-th write/erase from now (n ≥ 1): operations 1..n−1 happen, the
   * n-th throws PowerCut, and every later operation throws too until powerOn().
   */
  cutPowerBefore(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`power cut point must be ≥ 1 (got ${n})`);
    this.cutBefore = this.mutationCount + n;
  }

  /** Restore power (a reset): flash contents are kept, any pending cut is cancelled. */
  powerOn(): void {
    this.poweredOff = false;
    this.cutBefore = undefined;
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
    return this.bytes.slice(offset, offset + length);
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
    if (!this.rangeErased(offset, length)) {
      let i = offset;
      while (this.bytes[i] === this.eraseValue) i++;
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
    return this.rangeErased(offset, length);
  }

  private rangeErased(offset: number, length: number): boolean {
    const b = this.bytes;
    const w = this.words;
    const e = this.eraseValue;
    const ew = e === 0xff ? 0xffffffff : 0;
    const end = offset + length;
    let i = offset;
    while (i < end && (i & 3) !== 0) if (b[i++] !== e) return false;
    while (i + 4 <= end) {
      if (w[i >> 2] !== ew) return false;
      i += 4;
    }
    while (i < end) if (b[i++] !== e) return false;
    return true;
  }

  /** Copy of the contents, for tests and power-fail sweeps. */
  snapshot(): FlashSnapshot {
    return { bytes: this.bytes.slice() };
  }

  restore(snap: FlashSnapshot): void {
    if (snap.bytes.length !== this.size) {
      throw new RangeError(`${this.name}: snapshot is ${snap.bytes.length} bytes, flash is ${this.size}`);
    }
    this.bytes.set(snap.bytes);
  }

  /** Load raw contents (e.g. from a file, or a factory programmer) without counting operations. */
  load(contents: Uint8Array, offset = 0): void {
    if (offset < 0 || offset + contents.length > this.size) {
      throw new RangeError(
        `${this.name}: ${contents.length} bytes at ${hex(offset)} do not fit in the ${this.size}-byte flash`,
      );
    }
    this.bytes.set(contents, offset);
  }

  /** Direct view of the contents; never modify it. */
  contents(): Uint8Array {
    return this.bytes;
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
    if (mutating && this.cutBefore !== undefined && this.mutationCount + 1 >= this.cutBefore) {
      this.poweredOff = true;
      this.cutBefore = undefined;
      throw new PowerCut(this.mutationCount + 1, kind, offset);
    }
    let durationUs = 0;
    if (kind === 'read') {
      this.counters.reads++;
      this.counters.bytesRead += length;
      durationUs = length * this.timing.readUsPerByte;
    } else if (kind === 'write' && data) {
      this.bytes.set(data, offset);
      this.counters.writes++;
      this.counters.bytesWritten += length;
      durationUs = length * this.timing.programUsPerByte;
    } else if (kind === 'erase' && sectors) {
      this.bytes.fill(this.eraseValue, offset, offset + length);
      this.counters.erases++;
      this.counters.bytesErased += length;
      for (const s of sectors) durationUs += (this.timing.eraseMsBySectorSize[s.size] ?? 0) * 1000;
    }
    this.counters.timeUs += durationUs;
    this.opCount++;
    if (mutating) this.mutationCount++;
    if (this.observers.size === 0) return;
    const op: FlashOperation = { kind, offset, length, number: this.opCount, durationUs };
    if (mutating) op.mutationNumber = this.mutationCount;
    if (data) op.data = data;
    this.observers.emit(op);
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
    return this.flash.contents().slice(this.offset + offset, this.offset + offset + length);
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
