/** A benchmark's result: rows of one measured thing each, printed as a table with ratios. */
export interface BenchRow {
  /** Who did the work, e.g. "zdfu" or "imgtool 2.5.0". */
  tool: string;
  /** The figure, in `unit`. */
  value: number;
  /** Spread, e.g. the standard deviation over the repetitions (same unit). */
  spread?: number;
  note?: string;
}

export interface BenchTable {
  title: string;
  /** What the rows measure, e.g. "ms per run (whole process)". */
  unit: string;
  /** True when a smaller value is better (times); false for rates. */
  lowerIsBetter: boolean;
  rows: BenchRow[];
  /** How the figures were taken (repetitions, sizes, link). */
  method: string;
}

/** A table whose columns are the benchmark's own (e.g. one row per link setting, several figures
 * per row), for results that are not one figure per tool. */
export interface BenchGrid {
  kind: 'grid';
  title: string;
  method: string;
  /** Column headings; every column but the first is right-aligned (figures). */
  headers: string[];
  rows: string[][];
}

/** A benchmark that could not run here, with the one line saying why (printed in place of its table). */
export interface BenchSkipped {
  kind: 'skipped';
  title: string;
  reason: string;
}

export type BenchOutput = BenchTable | BenchGrid | BenchSkipped;

/** Prints any benchmark output: a per-tool table with ratios, a grid, or the line of a skipped one. */
export function formatOutput(output: BenchOutput): string {
  if ('kind' in output) {
    if (output.kind === 'skipped') return `## ${output.title}\nSkipped: ${output.reason}\n`;
    const lines = [
      `## ${output.title}`,
      output.method,
      '',
      `| ${output.headers.join(' | ')} |`,
      `|${output.headers.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
      ...output.rows.map((row) => `| ${row.join(' | ')} |`),
    ];
    return `${lines.join('\n')}\n`;
  }
  return formatTable(output);
}

/** Prints the table; the ratio column compares each row with the first (zdfu's). */
export function formatTable(table: BenchTable): string {
  const base = table.rows[0]?.value ?? 0;
  const lines = [
    `## ${table.title}`,
    table.method,
    '',
    `| tool | ${table.unit} | ± | vs ${table.rows[0]?.tool ?? ''} | note |`,
    '|---|---:|---:|---:|---|',
  ];
  for (const row of table.rows) {
    const ratio = base > 0 && row.value > 0 ? row.value / base : Number.NaN;
    const ratioText = Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '–';
    lines.push(
      `| ${row.tool} | ${row.value.toFixed(2)} | ${row.spread === undefined ? '' : row.spread.toFixed(2)} | ${ratioText} | ${row.note ?? ''} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Mean and standard deviation of repeated measurements. */
export function meanAndSpread(samples: readonly number[]): { mean: number; spread: number } {
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const variance = samples.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, samples.length - 1);
  return { mean, spread: Math.sqrt(variance) };
}
