/**
 * npm run fuzz: throws random and mutated SMP packets and serial streams at the virtual device over
 * each transport, and random and mutated responses at the client's decoders. Seeded and bounded:
 * the seed is printed, and a failure prints the seed, fast-check's path and the shrunk inputs as hex.
 *
 *   npm run fuzz                               full run: 10^6 inputs per transport
 *   npm run fuzz -- --inputs 20000 --seed 42   a smaller, fixed slice
 *   npm run fuzz -- --transport udp,pty --seconds 60
 */
import { parseArgs } from 'node:util';
import { DECODER_PROPERTIES, type DecoderFuzzReport, fuzzDecoders } from '../test/fuzz/decoder-fuzz.ts';
import { type DeviceFuzzReport, fuzzDevice } from '../test/fuzz/device-fuzz.ts';
import { TRANSPORTS, type TransportName } from '../test/fuzz/targets.ts';

const USAGE = `usage: npm run fuzz -- [options]
  --seed N             seed (default: random, printed)
  --inputs N           inputs per transport (default 1000000)
  --decoder-inputs N   inputs per client-decoder property (default: --inputs / 5)
  --transport LIST     comma-separated: ${TRANSPORTS.join(', ')}, decoders (default: all)
  --seconds S          time budget per transport (default: none)
  --batch N            inputs between echo probes (default 100)
  --probe-timeout MS   wait for one probe answer (default 5000)
  --shrink-seconds S   time given to shrinking a failure (default 120)
  --max-heap-growth M  MiB of heap growth (after GC) that fails the run (default 32)
  --path P             with --seed: replay fast-check's path P of a reported failure`;

function fail(message: string): never {
  process.stderr.write(`fuzz: ${message}\n${USAGE}\n`);
  process.exit(1);
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) fail(`--${name} must be a positive number (got "${text}")`);
  return value;
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        seed: { type: 'string' },
        inputs: { type: 'string' },
        'decoder-inputs': { type: 'string' },
        transport: { type: 'string' },
        seconds: { type: 'string' },
        batch: { type: 'string' },
        'probe-timeout': { type: 'string' },
        'shrink-seconds': { type: 'string' },
        'max-heap-growth': { type: 'string' },
        path: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    fail((error as Error).message);
  }
})();
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const seed = values.seed === undefined ? (Math.random() * 2 ** 31) | 0 : Number(values.seed);
if (!Number.isInteger(seed)) fail(`--seed must be an integer (got "${values.seed}")`);
const inputs = Math.round(positive('inputs', values.inputs, 1_000_000));
const decoderInputs = Math.round(
  positive('decoder-inputs', values['decoder-inputs'], Math.max(1, inputs / 5)),
);
const seconds = values.seconds === undefined ? undefined : positive('seconds', values.seconds, 0);
const batch = Math.round(positive('batch', values.batch, 100));
const probeTimeoutMs = positive('probe-timeout', values['probe-timeout'], 5000);
const shrinkSeconds = positive('shrink-seconds', values['shrink-seconds'], 120);
const maxHeapGrowthMiB = positive('max-heap-growth', values['max-heap-growth'], 32);
const decoderNames = Object.keys(DECODER_PROPERTIES);
const known = [...TRANSPORTS, 'decoders', ...decoderNames.map((name) => `decoders:${name}`)];
const selected = (values.transport?.split(',') ?? [...TRANSPORTS, 'decoders']).map((name) => name.trim());
for (const name of selected) {
  if (!known.includes(name))
    fail(
      `unknown transport "${name}" (known: ${TRANSPORTS.join(', ')}, decoders, decoders:NAME with NAME one of ${decoderNames.join(', ')})`,
    );
}
if (values.path !== undefined && selected.length !== 1)
  fail('--path replays one failure: name its one transport (or decoders:NAME)');

process.stdout.write(
  `fuzz: seed ${seed}, ${inputs} inputs per transport, ${decoderInputs} per decoder property` +
    `${seconds ? `, at most ${seconds} s each` : ''}; repeat with: npm run fuzz -- --seed ${seed} ` +
    `--inputs ${inputs} --decoder-inputs ${decoderInputs} --transport ${selected.join(',')}\n`,
);

const mib = (value: number) => value.toFixed(1);
let failed = false;

function printDevice(report: DeviceFuzzReport): void {
  const m = report.memory;
  process.stdout.write(
    `${report.transport}: ${report.sent} inputs in ${report.seconds.toFixed(1)} s (${Math.round(report.inputsPerSecond)}/s), ` +
      `${report.serverPackets} SMP packets handled, ${report.answers} answers; ` +
      `crashes ${report.crashes}, hangs ${report.hangs}, flash changes ${report.flashChanges}, ` +
      `malformed answers ${report.malformedAnswers}, flash-writing requests reached ${report.writersReached}\n` +
      `  memory: heap ${mib(m.heapBeforeMiB)} → peak ${mib(m.heapPeakMiB)} → ${mib(m.heapAfterMiB)} MiB (after GC), ` +
      `RSS ${mib(m.rssBeforeMiB)} → peak ${mib(m.rssPeakMiB)} → ${mib(m.rssAfterMiB)} MiB\n`,
  );
  if (report.memoryGrowthFailure) {
    failed = true;
    process.stdout.write(`  FAIL memory: ${report.memoryGrowthFailure}\n`);
  }
  if (report.failure) {
    failed = true;
    const f = report.failure;
    process.stdout.write(
      `  FAIL ${f.message.split('\n').join('\n    ')}\n` +
        `  reproduce: npm run fuzz -- --transport ${report.transport} --seed ${f.seed} --path ${f.path ?? '?'}` +
        `${f.reproducedInIsolation ? '' : ' (did not fail again on a fresh device: state from earlier batches matters)'}\n` +
        `  inputs (hex, in order):\n${f.inputsHex.map((hex) => `    ${hex}`).join('\n')}\n`,
    );
  }
}

function printDecoders(report: DecoderFuzzReport): void {
  for (const result of report.results) {
    process.stdout.write(
      `decoders/${result.name}: ${result.runs} inputs in ${result.seconds.toFixed(1)} s ` +
        `(${Math.round(result.runs / Math.max(result.seconds, 1e-9))}/s)${result.failure ? '' : ', ok'}\n`,
    );
    if (result.failure) {
      failed = true;
      process.stdout.write(
        `  FAIL ${result.failure.message.split('\n').join('\n    ')}\n` +
          `  reproduce: npm run fuzz -- --transport decoders:${result.name} --seed ${result.failure.seed} --path ${result.failure.path ?? '?'}\n` +
          `  input: ${result.failure.input}\n`,
      );
    }
  }
}

for (const name of selected) {
  if (name.startsWith('decoders')) {
    const only = name === 'decoders' ? undefined : [name.slice('decoders:'.length)];
    printDecoders(await fuzzDecoders({ seed, runs: decoderInputs, seconds, only, path: values.path }));
    continue;
  }
  const transport = name as TransportName;
  const report = await fuzzDevice({
    transport,
    seed,
    inputs,
    seconds,
    batch,
    probeTimeoutMs,
    shrinkSeconds,
    maxHeapGrowthMiB,
    path: values.path,
    onProgress: (sent) => {
      if (process.stderr.isTTY) process.stderr.write(`\r${transport}: ${sent} inputs…`);
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  printDevice(report);
}

process.stdout.write(failed ? 'fuzz: FAILED\n' : 'fuzz: ok\n');
process.exit(failed ? 1 : 0);
