/**
 * Which flash operation is "in flight" when the page pulls the plug. The device model performs a
 * request's (or MCUboot's) writes and erases at once and then spends their time
 * (flashTimeScale); this keeps the same timeline from outside: each operation occupies the flash
 * from when the previous one ends (or from when it was issued, if later) for its own duration ×
 * the scale. A cut at time t finds the operation whose span holds t; the flash goes back to what
 * it held before that operation (copy-on-write snapshots), the operation is done again only up to
 * t's fraction of it, torn as ../flash-tear.ts decides (a torn write, a partial erase), and the
 * operations after it never happen. With no operation in flight, the next write or erase (one the
 * interrupted work was about to start) is torn instead.
 */
import type { BoardFlashes } from '../boards/flashes.ts';
import { type Flash, type FlashSnapshot, PowerCut } from '../flash.ts';

interface InFlightOp {
  readonly device: string;
  readonly kind: 'write' | 'erase';
  readonly offset: number;
  readonly length: number;
  /** The bytes a write programs (a copy). */
  readonly data: Uint8Array | undefined;
  /** The device's contents just before this operation. */
  readonly before: FlashSnapshot;
  readonly startMs: number;
  readonly endMs: number;
}

/** A range the cut changed behind the flash's back (restored), for whoever keeps the flash. */
export interface RestoredRange {
  readonly device: string;
  readonly offset: number;
  readonly length: number;
}

export class FlashInFlight {
  private readonly ops: InFlightOp[] = [];
  /** Each device's contents after its latest operation (= before its next one). */
  private readonly latest = new Map<string, FlashSnapshot>();
  private busyUntilMs = 0;
  private cutting = false;
  private readonly stops: Array<() => void> = [];

  constructor(
    private readonly flashes: BoardFlashes,
    private readonly flashTimeScale: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    for (const [device, flash] of flashes) {
      this.latest.set(device, flash.snapshot());
      this.stops.push(
        flash.onOperation((op) => {
          if (op.kind === 'read' || this.cutting) return;
          const before = this.latest.get(device) as FlashSnapshot;
          this.latest.set(device, flash.snapshot());
          if (this.flashTimeScale <= 0 || op.cut) return;
          const at = this.now();
          this.prune(at);
          const startMs = Math.max(at, this.busyUntilMs);
          const endMs = startMs + (op.durationUs / 1000) * this.flashTimeScale;
          this.busyUntilMs = endMs;
          this.ops.push({
            device,
            kind: op.kind,
            offset: op.offset,
            length: op.length,
            data: op.kind === 'write' && op.data ? op.data.slice() : undefined,
            before,
            startMs,
            endMs,
          });
        }),
      );
    }
  }

  /** The contents were replaced outside any operation (loaded, erased to factory): start afresh. */
  reset(): void {
    this.ops.length = 0;
    this.busyUntilMs = 0;
    for (const [device, flash] of this.flashes) this.latest.set(device, flash.snapshot());
  }

  /**
   * Cuts the power now: tears the operation in flight (or arms a tear of the next one) and leaves
   * every flash powered off until powerOn(). Returns the ranges changed without an operation event.
   */
  cut(seed: number, random: () => number): RestoredRange[] {
    const at = this.now();
    this.prune(at);
    const inFlight = this.ops.find((op) => op.endMs > at && op.startMs <= at);
    const restored: RestoredRange[] = [];
    if (!inFlight) {
      for (const flash of this.flashes.values()) {
        flash.cutPower({ mutation: 1, inside: { fraction: random() * 0.999, seed } });
      }
      this.ops.length = 0;
      return restored;
    }
    const undone = this.ops.slice(this.ops.indexOf(inFlight));
    this.cutting = true;
    try {
      // Each device back to before its first undone operation.
      const seen = new Set<string>();
      for (const op of undone) {
        restored.push({ device: op.device, offset: op.offset, length: op.length });
        if (seen.has(op.device)) continue;
        seen.add(op.device);
        (this.flashes.get(op.device) as Flash).restore(op.before);
      }
      const flash = this.flashes.get(inFlight.device) as Flash;
      const fraction = Math.min(
        0.999,
        Math.max(0, (at - inFlight.startMs) / (inFlight.endMs - inFlight.startMs)),
      );
      flash.cutPower({ mutation: 1, inside: { fraction, seed } });
      try {
        if (inFlight.kind === 'write' && inFlight.data) flash.write(inFlight.offset, inFlight.data);
        else flash.erase(inFlight.offset, inFlight.length);
      } catch (error) {
        if (!(error instanceof PowerCut)) throw error;
      }
      // The other devices lose power too: their next operation fails.
      for (const [device, other] of this.flashes) {
        if (device !== inFlight.device) other.cutPower({ mutation: 1 });
      }
    } finally {
      this.cutting = false;
    }
    for (const [device, each] of this.flashes) this.latest.set(device, each.snapshot());
    this.ops.length = 0;
    this.busyUntilMs = 0;
    return restored;
  }

  detach(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  /** Operations already done by `at` can no longer be torn: forget them. */
  private prune(at: number): void {
    while (this.ops.length > 0 && (this.ops[0] as InFlightOp).endMs <= at) this.ops.shift();
  }
}
