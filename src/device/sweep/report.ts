// The sweep's report: operations × cut kinds × boards as Markdown tables, every brick listed with
// its operation number, cut and MCUboot's console; the same data as JSON for tools.
import { explain } from './known-bricks.ts';
import type { CutKindName, CutResult, ScenarioRun, SweepSkip } from './run.ts';

export interface SweepReport {
  seed: number;
  sampled: boolean;
  /** The image variants, e.g. "small 24576 B body, fills slot". */
  images: string;
  ms: number;
  runs: Omit<ScenarioRun, 'results'>[];
  /** Board × strategy (× scenario) pairs not run, with the reason. */
  skips: SweepSkip[];
  totals: {
    cuts: number;
    bricks: number;
    halfImages: number;
    dependencyBroken: number;
    revertLost: number;
    notSettled: number;
    /** Failures no known MCUboot weakness explains (KNOWN_BRICKS): model bugs or new findings. */
    unexplained: number;
    missed: number;
  };
  /** Every cut that did not end running the old or new image. */
  failures: CutResult[];
  /** Per run and cut kind: cuts made, and how they ended. */
  cells: ReportCell[];
}

export interface ReportCell {
  board: string;
  strategy: string;
  scenario: string;
  image: string;
  opKind: 'write' | 'erase';
  cut: CutKindName;
  cuts: number;
  old: number;
  new: number;
  /** Several images, some old and some new (no dependency broken). */
  mixed: number;
  failed: number;
}

const BAD = new Set(['brick', 'half-image', 'dependency-broken', 'revert-lost', 'not-settled', 'missed']);

export function buildReport(
  runs: readonly ScenarioRun[],
  meta: { seed: number; sampled: boolean; images: string; ms: number },
  skips: readonly SweepSkip[] = [],
): SweepReport {
  const cells = new Map<string, ReportCell>();
  const failures: CutResult[] = [];
  const totals = {
    cuts: 0,
    bricks: 0,
    halfImages: 0,
    dependencyBroken: 0,
    revertLost: 0,
    notSettled: 0,
    missed: 0,
    unexplained: 0,
  };
  for (const run of runs) {
    for (const r of run.results) {
      const key = [r.board, r.strategy, r.image, r.scenario, r.opKind, r.cut].join('|');
      let cell = cells.get(key);
      if (!cell) {
        cell = {
          board: r.board,
          strategy: r.strategy,
          scenario: r.scenario,
          image: r.image,
          opKind: r.opKind,
          cut: r.cut,
          cuts: 0,
          old: 0,
          new: 0,
          mixed: 0,
          failed: 0,
        };
        cells.set(key, cell);
      }
      cell.cuts++;
      totals.cuts++;
      if (r.outcome === 'old') cell.old++;
      else if (r.outcome === 'new') cell.new++;
      else if (r.outcome === 'mixed') cell.mixed++;
      else {
        cell.failed++;
        failures.push(r);
        if (r.outcome === 'brick') totals.bricks++;
        if (r.outcome === 'half-image') totals.halfImages++;
        if (r.outcome === 'dependency-broken') totals.dependencyBroken++;
        if (r.outcome === 'revert-lost') totals.revertLost++;
        if (!explain(r)) totals.unexplained++;
        if (r.outcome === 'not-settled') totals.notSettled++;
        if (r.outcome === 'missed') totals.missed++;
      }
    }
  }
  return {
    ...meta,
    runs: runs.map(({ results: _results, ...rest }) => rest),
    skips: [...skips],
    totals,
    failures,
    cells: [...cells.values()],
  };
}

const COLUMNS: readonly { opKind: 'write' | 'erase'; cut: CutKindName; title: string }[] = [
  { opKind: 'write', cut: 'before', title: 'write: before' },
  { opKind: 'write', cut: 'torn-write', title: 'write: torn' },
  { opKind: 'erase', cut: 'before', title: 'erase: before' },
  { opKind: 'erase', cut: 'partial-erase', title: 'erase: partial' },
];

function cellText(cells: readonly ReportCell[]): string {
  if (cells.length === 0) return '–';
  const cuts = cells.reduce((a, c) => a + c.cuts, 0);
  const failed = cells.reduce((a, c) => a + c.failed, 0);
  return failed === 0 ? `${cuts} ok` : `${cuts} (**${failed} bad**)`;
}

export function formatReport(report: SweepReport): string {
  const out: string[] = [];
  const kind = report.sampled ? 'sampled' : 'full';
  out.push(
    `## Power-cut sweep (${kind}, seed ${report.seed}, images: ${report.images}, ${(report.ms / 1000).toFixed(1)} s)`,
    '',
    'Cuts per operation kind × cut kind; "ok" = after the cut, every boot until MCUboot settled ran the old or the new image intact.',
    '',
    `| board | strategy | image | scenario | writes | erases | ${COLUMNS.map((c) => c.title).join(' | ')} | ended old / new / mixed |`,
    `|---|---|---|---|---:|---:|${COLUMNS.map(() => '---').join('|')}|---|`,
  );
  for (const run of report.runs) {
    const mine = report.cells.filter(
      (c) =>
        c.board === run.board &&
        c.strategy === run.strategy &&
        c.image === run.image &&
        c.scenario === run.scenario,
    );
    const cols = COLUMNS.map((col) =>
      cellText(mine.filter((c) => c.opKind === col.opKind && c.cut === col.cut)),
    );
    const old = mine.reduce((a, c) => a + c.old, 0);
    const nu = mine.reduce((a, c) => a + c.new, 0);
    const mixed = mine.reduce((a, c) => a + c.mixed, 0);
    out.push(
      `| ${run.board} | ${run.strategy} | ${run.image} (${run.imageBytes} B) | ${run.scenario} | ${run.writes} | ${run.erases} | ${cols.join(' | ')} | ${old} / ${nu} / ${mixed} |`,
    );
  }
  const blank = COLUMNS.map(() => '–').join(' | ');
  for (const skip of report.skips) {
    out.push(
      `| ${skip.board} | ${skip.strategy} | – | ${skip.scenario ?? 'all'} | – | – | ${blank} | ${skip.reason} |`,
    );
  }
  const t = report.totals;
  out.push(
    '',
    `Total: ${t.cuts} cuts, ${t.bricks} bricks, ${t.halfImages} half images booted, ${t.dependencyBroken} dependencies broken, ${t.revertLost} reverts lost, ${t.notSettled} not settled, ${t.missed} missed; ${t.unexplained} not explained by a known MCUboot weakness.`,
  );
  if (report.failures.length > 0) {
    out.push('', '### Bricks and other failures', '');
    for (const f of report.failures) {
      const where = f.position === undefined ? 'before' : `at ${Math.round(f.position * 100)}%`;
      const known = explain(f);
      out.push(
        `- **${f.outcome}** ${f.board}/${f.strategy}/${f.image}/${f.scenario}: ${f.cut} ${where} of op #${f.op} (${f.opKind}), boot ${f.boots} after the cut: ${f.reason ?? ''}`,
        known
          ? `  - known MCUboot weakness (${known.id}): ${known.reason}; upstream: ${known.upstream}`
          : '  - **not explained** by a known MCUboot weakness: a model bug or a new finding',
      );
      if (f.cutMessage) out.push(`  - cut (${f.device ?? f.board}): ${f.cutMessage}`);
      if (f.log?.length) out.push(`  - log: \`${f.log.slice(-6).join(' ⏎ ')}\``);
    }
  }
  return `${out.join('\n')}\n`;
}

export function isFailure(r: CutResult): boolean {
  return BAD.has(r.outcome);
}
