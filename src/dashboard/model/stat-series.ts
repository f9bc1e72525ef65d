/**
 * The samples behind the live statistics chart: one column per stat field, polled over time,
 * kept to the last `capacity` polls (a chart that runs all day must not grow), in the column
 * layout uPlot draws ([times, ...fields]). A field that appears later is filled with nulls
 * before it; per-second rates come from the last two polls. Pure.
 */

export interface StatPoll {
  /** Seconds (uPlot's time unit). */
  readonly atSeconds: number;
  readonly fields: Readonly<Record<string, number>>;
}

export class StatSeries {
  private times: number[] = [];
  private readonly columns = new Map<string, Array<number | null>>();

  constructor(readonly capacity = 120) {}

  add(poll: StatPoll): void {
    if (this.times.length > 0 && poll.atSeconds <= this.times[this.times.length - 1]!) return;
    this.times.push(poll.atSeconds);
    for (const name of Object.keys(poll.fields).sort()) {
      if (!this.columns.has(name)) this.columns.set(name, new Array(this.times.length - 1).fill(null));
    }
    for (const [name, column] of this.columns) column.push(poll.fields[name] ?? null);
    if (this.times.length > this.capacity) {
      const drop = this.times.length - this.capacity;
      this.times.splice(0, drop);
      for (const column of this.columns.values()) column.splice(0, drop);
    }
  }

  clear(): void {
    this.times = [];
    this.columns.clear();
  }

  get length(): number {
    return this.times.length;
  }

  fieldNames(): string[] {
    return [...this.columns.keys()];
  }

  /** uPlot's data: the times, then one column per field in fieldNames() order. */
  data(): [number[], ...Array<Array<number | null>>] {
    return [[...this.times], ...[...this.columns.values()].map((c) => [...c])];
  }

  /** The latest value of each field and its change per second since the poll before. */
  latest(): Array<{ name: string; value: number | null; perSecond: number | undefined }> {
    const n = this.times.length;
    return [...this.columns].map(([name, column]) => {
      const value = n > 0 ? (column[n - 1] ?? null) : null;
      const before = n > 1 ? column[n - 2] : null;
      const span = n > 1 ? this.times[n - 1]! - this.times[n - 2]! : 0;
      const perSecond =
        value !== null && before !== null && before !== undefined && span > 0
          ? (value - before) / span
          : undefined;
      return { name, value, perSecond };
    });
  }
}
