/**
 * `npm run bench`: every benchmark module, each measuring zdfu and the peer tools in the same run,
 * printed as Markdown tables with ratios. Speed goals live here, never in unit tests.
 */
import { type BenchTable, formatTable } from './table.ts';

type Bench = { name: string; run: () => Promise<BenchTable[]> };

const benches: Bench[] = [];

const only = process.argv[2];
for (const bench of benches) {
  if (only && bench.name !== only) continue;
  for (const table of await bench.run()) process.stdout.write(`${formatTable(table)}\n`);
}
