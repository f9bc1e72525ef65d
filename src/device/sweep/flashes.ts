// Every flash device of a board as the sweep handles it: one power supply for all of them (a cut
// stops every device), cuts counted over the writes and erases of all devices in the order they
// happen (as VirtualDevice.cutPowerAt in ../device.ts counts them), one snapshot of them all.
import type { Board, Partition } from '../boards/board.ts';
import { type BoardFlashes, createBoardFlashes } from '../boards/index.ts';
import type { CutPlan, Flash, FlashOperation, FlashSnapshot, PowerCut } from '../flash.ts';
import { flashOfPartition } from '../mcuboot/layout.ts';

export type SweepSnapshot = ReadonlyMap<Flash, FlashSnapshot>;

export class SweepFlashes {
  readonly devices: BoardFlashes;
  private readonly all: Flash[];
  private stopCounting: (() => void) | undefined;

  constructor(readonly board: Board) {
    this.devices = createBoardFlashes(board);
    this.all = [...this.devices.values()];
  }

  /** The Flash a partition lies on. */
  flashOf(partition: Partition): Flash {
    return flashOfPartition(this.board, this.devices, partition);
  }

  /** Program `bytes` at `offset` into a partition without counting operations (a programmer). */
  load(partition: Partition, bytes: Uint8Array, offset = 0): void {
    this.flashOf(partition).load(bytes, partition.offset + offset);
  }

  /** Writes + erases over all devices. */
  get mutations(): number {
    return this.all.reduce((n, f) => n + f.mutations, 0);
  }

  /** True once a cut fired on any device (the supply is shared). */
  get isPoweredOff(): boolean {
    return this.all.some((f) => f.isPoweredOff);
  }

  /** The last cut each device reports, to tell afterwards which one fired. */
  lastCuts(): (PowerCut | undefined)[] {
    return this.all.map((f) => f.lastCut);
  }

  /** The cut that fired since `before` (lastCuts()), if any, and the device it fired on. */
  firedSince(before: readonly (PowerCut | undefined)[]): { cut: PowerCut; device: Flash } | undefined {
    const i = this.all.findIndex((f, j) => f.lastCut !== undefined && f.lastCut !== before[j]);
    const device = this.all[i];
    return device?.lastCut ? { cut: device.lastCut, device } : undefined;
  }

  onOperation(listener: (op: FlashOperation) => void): () => void {
    const stops = this.all.map((f) => f.onOperation(listener));
    return () => {
      for (const stop of stops) stop();
    };
  }

  /**
   * Power fails before (or inside) the n-th write or erase from now, counted over all devices.
   * With one device that is the device's own cut; with several, each write or erase is counted as
   * it completes and, once n−1 are done, every device's next one is the cut: whichever comes
   * first fires, and every later operation on any device throws too (the power is gone).
   */
  cutPower(plan: CutPlan): void {
    this.disarm();
    const at = (mutation: number): CutPlan => ({ ...plan, mutation });
    if (this.all.length === 1 || plan.mutation === 1) {
      for (const f of this.all) f.cutPower(at(plan.mutation));
      return;
    }
    let done = 0;
    this.stopCounting = this.onOperation((op) => {
      if (op.kind === 'read') return;
      done++;
      if (done === plan.mutation - 1) {
        for (const f of this.all) f.cutPower(at(1));
        this.disarm();
      }
    });
  }

  /** Power back on: contents kept, any armed cut cancelled on every device. */
  powerOn(): void {
    this.disarm();
    for (const f of this.all) f.powerOn();
  }

  snapshot(): SweepSnapshot {
    return new Map(this.all.map((f) => [f, f.snapshot()]));
  }

  restore(snap: SweepSnapshot): void {
    for (const [f, s] of snap) f.restore(s);
  }

  private disarm(): void {
    this.stopCounting?.();
    this.stopCounting = undefined;
  }
}
