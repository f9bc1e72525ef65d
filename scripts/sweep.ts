/**
 * `npm run sweep`: the full power-cut sweep over every board × MCUboot strategy × scenario, with a
 * cut before and inside every write and erase. Prints the report (Markdown) and writes it as JSON
 * to .cache/sweep/ (git-ignored). Two image sizes: small (--body BYTES, default 24576) with every
 * cut, and images filling the slot (their swap reaches the trailer sector) with a seeded sample of
 * --fill-sample N cuts per kind (default 40; 0 leaves them out). --sample N samples every run,
 * --seed N, --json PATH. Exit 1 when a boot ran a half image, a state never settled or a cut
 * never fired; bricks are listed in the report (MCUboot's own, kept faithful) and exit 0.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/device/io/artifacts.ts';
import { buildReport, formatReport } from '../src/device/sweep/report.ts';
import {
  DEFAULT_IMAGES,
  type ImageVariant,
  runSweepWithSkips,
  type SweepTarget,
} from '../src/device/sweep/run.ts';
import { sweepTargets } from '../src/device/sweep/targets.ts';

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
    'fill-sample': { type: 'string' },
    json: { type: 'string' },
  },
});
const seed = positiveInt('seed', values.seed, 20261202);
const [small, fill] = DEFAULT_IMAGES as [ImageVariant, ImageVariant];
const bodySize = positiveInt('body', values.body, small.bodySize as number);
const fillSample = positiveInt('fill-sample', values['fill-sample'], fill.samplePerKind ?? 40);
const images: ImageVariant[] = [
  { ...small, bodySize },
  ...(fillSample > 0 ? [{ ...fill, samplePerKind: fillSample }] : []),
];
const imagesText = images
  .map((v) => `${v.name}${v.samplePerKind === undefined ? '' : ` (${v.samplePerKind} cuts per kind)`}`)
  .join(', ');
const samplePerKind = values.sample === undefined ? undefined : positiveInt('sample', values.sample, 0);
const targets: SweepTarget[] = sweepTargets();
const started = performance.now();
const { runs, skips } = await runSweepWithSkips({
  targets,
  seed,
  images,
  ...(samplePerKind === undefined ? {} : { samplePerKind }),
  onProgress: (run) =>
    process.stderr.write(
      `sweep: ${run.board}/${run.strategy}/${run.image}/${run.scenario}: ${run.results.length} cuts in ${(run.ms / 1000).toFixed(1)} s\n`,
    ),
});
const report = buildReport(
  runs,
  {
    seed,
    sampled: samplePerKind !== undefined,
    images: imagesText,
    ms: performance.now() - started,
  },
  skips,
);
process.stdout.write(formatReport(report));
const jsonPath = values.json ?? join(packageRoot(), '.cache', 'sweep', 'sweep-report.json');
mkdirSync(dirname(jsonPath), { recursive: true });
writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
process.stderr.write(`sweep: report written to ${jsonPath}\n`);
// Bricks and lost reverts MCUboot itself suffers (KNOWN_BRICKS) are reported, not failed; any
// failure they do not explain, a half image booted, a broken dependency, a state that never
// settles or a cut that never fired is a failure.
const t = report.totals;
process.exitCode = t.unexplained + t.halfImages + t.dependencyBroken + t.notSettled + t.missed > 0 ? 1 : 0;
