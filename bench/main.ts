/**
 * `npm run bench`: every benchmark module, each measuring zdfu and the peer tools in the same run,
 * printed as Markdown tables with ratios. Speed goals live here, never in unit tests.
 */
import { runBleBench } from './ble.ts';
import { boardsChild, runBoardsBench } from './boards.ts';
import { runFleetBench } from './fleet.ts';
import { runFsBench } from './fs.ts';
import { runSignBench } from './sign.ts';
import { runSwapBench } from './swap.ts';
import { type BenchOutput, formatOutput } from './table.ts';
import { runUploadBench } from './upload.ts';
import { runUserImageBench } from './user-image.ts';

type Bench = { name: string; run: () => Promise<BenchOutput[]> };

const benches: Bench[] = [
  { name: 'upload', run: runUploadBench },
  { name: 'fs', run: runFsBench },
  { name: 'user-image', run: runUserImageBench },
  { name: 'sign', run: runSignBench },
  { name: 'ble', run: runBleBench },
  { name: 'swap', run: runSwapBench },
  { name: 'boards', run: runBoardsBench },
  { name: 'fleet', run: () => runFleetBench() },
];

// The boards bench measures memory in a fresh child process of this same script.
if (process.argv[2] === 'boards-child') {
  const [board = 'stm32f4_disco', mode, count] = process.argv.slice(3);
  await boardsChild(board, mode === 'inline' ? 'inline' : 'worker', Number(count));
  process.exit(0);
}

const only = process.argv[2];
if (only && !benches.some((bench) => bench.name === only)) {
  process.stderr.write(
    `No benchmark named "${only}"; choose one of: ${benches.map((b) => b.name).join(', ')}.\n`,
  );
  process.exit(2);
}
for (const bench of benches) {
  if (only && bench.name !== only) continue;
  for (const table of await bench.run()) process.stdout.write(`${formatOutput(table)}\n`);
}
