/**
 * `npm run bench`: every benchmark module, each measuring zdfu and the peer tools in the same run,
 * printed as Markdown tables with ratios. Speed goals live here, never in unit tests.
 */
import { runSignBench } from './sign.ts';
import { type BenchTable, formatTable } from './table.ts';
import { runUploadBench } from './upload.ts';

type Bench = { name: string; run: () => Promise<BenchTable[]> };

const benches: Bench[] = [
  { name: 'upload', run: runUploadBench },
  { name: 'sign', run: runSignBench },
];

const only = process.argv[2];
for (const bench of benches) {
  if (only && bench.name !== only) continue;
  for (const table of await bench.run()) process.stdout.write(`${formatTable(table)}\n`);
}
