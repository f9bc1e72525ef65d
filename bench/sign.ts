/**
 * Signing speed: `zdfu sign` (node dist/zdfu.mjs) against the real `imgtool sign` on a 1 MiB
 * image, whole-process wall time (start-up included, as a build system pays it), in the same run,
 * alternating the tools, for RSA-2048 (the user's story) and Ed25519, with and without --pad --confirm.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/device/io/artifacts.ts';
import { loadSigningKey, signImage } from '../src/image/index.ts';
import { type BenchRow, type BenchTable, meanAndSpread } from './table.ts';

const IMAGE_BYTES = 1024 * 1024;
const SLOT_SIZE = '0x120000';
const REPETITIONS = 7;

interface Runner {
  tool: string;
  argv: (args: string[]) => [string, string[]];
}

function runners(): { runners: Runner[]; missing: string[] } {
  const root = packageRoot();
  const zdfu = join(root, 'dist', 'zdfu.mjs');
  const imgtool = join(root, '.cache', 'peers', 'venv', 'bin', 'imgtool');
  const list: Runner[] = [{ tool: 'zdfu', argv: (args) => [process.execPath, [zdfu, ...args]] }];
  const missing: string[] = [];
  if (existsSync(imgtool)) {
    const version = execFileSync(imgtool, ['version'], { encoding: 'utf8' }).trim();
    list.push({ tool: `imgtool ${version}`, argv: (args) => [imgtool, args] });
  } else {
    missing.push('imgtool (run scripts/interop/setup.sh)');
  }
  if (!existsSync(zdfu)) throw new Error(`${zdfu} is missing: run npm run build first`);
  return { runners: list, missing };
}

function timeMs(argv: [string, string[]]): number {
  const start = process.hrtime.bigint();
  execFileSync(argv[0], argv[1], { stdio: ['ignore', 'ignore', 'pipe'] });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The same signing through the library, without process start-up: what the CLI adds is start-up. */
async function inProcessRow(keyPath: string, app: Uint8Array, confirm: boolean): Promise<BenchRow> {
  const samples: number[] = [];
  for (let rep = 0; rep < REPETITIONS; rep++) {
    const start = process.hrtime.bigint();
    const key = await loadSigningKey(readFileSync(keyPath, 'utf8'));
    await signImage(app, {
      key,
      headerSize: 0x200,
      padHeader: true,
      slotSize: Number(SLOT_SIZE),
      version: '1.0.0',
      confirm,
    });
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const { mean, spread } = meanAndSpread(samples);
  return {
    tool: 'zdfu library (in-process)',
    value: mean,
    spread,
    note: 'no process start-up; for reference',
  };
}

export async function runSignBench(): Promise<BenchTable[]> {
  const work = mkdtempSync(join(tmpdir(), 'zdfu-bench-sign-'));
  try {
    const { runners: tools, missing } = runners();
    const app = join(work, 'app.bin');
    writeFileSync(
      app,
      Uint8Array.from({ length: IMAGE_BYTES }, (_, i) => (i * 131 + (i >> 9)) & 0xff),
    );
    const tables: BenchTable[] = [];
    for (const keyType of ['rsa-2048', 'ed25519']) {
      const key = join(work, `${keyType}.pem`);
      const [command, args] = tools[0]!.argv(['keygen', '-k', key, '-t', keyType]);
      execFileSync(command, args);
      for (const extra of [[], ['--pad', '--confirm']]) {
        const samples = new Map<string, number[]>(tools.map((t) => [t.tool, []]));
        const outputs = new Map<string, Buffer>();
        for (let rep = 0; rep < REPETITIONS; rep++) {
          for (const t of tools) {
            const out = join(work, `${t.tool.split(' ')[0]}.bin`);
            const args = [
              'sign',
              '-k',
              key,
              '-H',
              '0x200',
              '--pad-header',
              '-S',
              SLOT_SIZE,
              '-v',
              '1.0.0',
              ...extra,
              app,
              out,
            ];
            samples.get(t.tool)!.push(timeMs(t.argv(args)));
            outputs.set(t.tool, readFileSync(out));
          }
        }
        const sizes = [...outputs.values()].map((b) => b.length);
        const rows: BenchRow[] = tools.map((t) => {
          const { mean, spread } = meanAndSpread(samples.get(t.tool)!);
          return { tool: t.tool, value: mean, spread, note: `output ${outputs.get(t.tool)!.length} bytes` };
        });
        rows.push(await inProcessRow(key, readFileSync(app), extra.length > 0));
        for (const m of missing) rows.push({ tool: m, value: 0, note: 'not installed' });
        const identical =
          keyType === 'ed25519' &&
          outputs.size > 1 &&
          [...outputs.values()].every((b) => b.equals(outputs.values().next().value!));
        tables.push({
          title: `Signing a 1 MiB image, ${keyType}${extra.length ? ', --pad --confirm' : ''}`,
          unit: 'ms per run (whole process)',
          lowerIsBetter: true,
          rows,
          method:
            `${REPETITIONS} runs per tool, alternating, same machine and run; sign -H 0x200 --pad-header -S ${SLOT_SIZE}` +
            `${extra.length ? ' --pad --confirm' : ''}; output sizes ${sizes.join(' / ')}` +
            (keyType === 'ed25519' ? `; outputs byte-identical: ${identical ? 'yes' : 'no'}` : ''),
        });
      }
    }
    return tables;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
