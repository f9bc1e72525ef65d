/**
 * `npm run sweep`: the full power-cut sweep over every board × MCUboot strategy × scenario, with a
 * cut before and inside every write and erase. Prints the report (Markdown) and writes it as JSON
 * to .cache/sweep/ (git-ignored). Options: --seed N, --sample N (cuts per kind per scenario),
 * --body BYTES, --json PATH. Exit 1 when a boot ran a half image, a state never settled or a cut
 * never fired; bricks are listed in the report (MCUboot's own, kept faithful) and exit 0.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { boards } from '../src/device/boards/index.ts';
import { packageRoot } from '../src/device/io/artifacts.ts';
import { buildReport, formatReport } from '../src/device/sweep/report.ts';
import { DEFAULT_BODY_SIZE, runSweep, type SweepTarget } from '../src/device/sweep/run.ts';
import { SWEEP_STRATEGIES } from '../src/device/sweep/targets.ts';

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`--${name} takes a whole number ≥ 0 (got "${text}")\n`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    sample: { type: 'string' },
    body: { type: 'string' },
    json: { type: 'string' },
  },
});
const seed = positiveInt('seed', values.seed, 20261202);
const bodySize = positiveInt('body', values.body, DEFAULT_BODY_SIZE);
const samplePerKind = values.sample === undefined ? undefined : positiveInt('sample', values.sample, 0);
const targets: SweepTarget[] = Object.values(boards).flatMap((board) =>
  SWEEP_STRATEGIES.map((strategy) => ({ board, strategy })),
);
const started = performance.now();
const runs = await runSweep({
  targets,
  seed,
  bodySize,
  ...(samplePerKind === undefined ? {} : { samplePerKind }),
  onProgress: (run) =>
    process.stderr.write(
      `sweep: ${run.board}/${run.strategy}/${run.scenario}: ${run.results.length} cuts in ${(run.ms / 1000).toFixed(1)} s\n`,
    ),
});
const report = buildReport(runs, {
  seed,
  sampled: samplePerKind !== undefined,
  bodySize,
  ms: performance.now() - started,
});
process.stdout.write(formatReport(report));
const jsonPath = values.json ?? join(packageRoot(), '.cache', 'sweep', 'sweep-report.json');
mkdirSync(dirname(jsonPath), { recursive: true });
writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
process.stderr.write(`sweep: report written to ${jsonPath}\n`);
// Bricks MCUboot itself would suffer are reported, not failed; a half image booted, a state that
// never settles or a cut that never fired is a failure.
const t = report.totals;
process.exitCode = t.halfImages + t.notSettled + t.missed > 0 ? 1 : 0;
