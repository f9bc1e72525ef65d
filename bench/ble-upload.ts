// BLE upload throughput through the virtual radio's air model: `zdfu image upload` of a 200 KiB
// image to `zdfu sim --ble` (esp32_devkitc_wroom, ATT MTU 498), pipelined (the engine's window)
// and stop-and-wait (window 1), against the ceiling the radio computes for the link
// (scripts/ble/air_model.py, `--print-ceiling`). Needs `bash scripts/ble/setup.sh`.
//   node --import tsx bench/ble-upload.ts
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AirOptions, linkCeilings, startVirtualRadio } from '../scripts/ble/virtual-radio.ts';
import { BleSim, simArgs, zdfu } from '../test/ble/helpers.ts';

const settings: { name: string; air: AirOptions }[] = [
  { name: '7.5 ms, DL 251, 2M', air: { intervalMs: 7.5, dataLength: 251, phy: '2M' } },
  { name: '30 ms, DL 27, 1M', air: { intervalMs: 30, dataLength: 27, phy: '1M' } },
];
const ATT_MTU = 498; // the board's; the central asks for 517

interface Upload {
  bytes: number;
  elapsedMs: number;
  window: number;
  chunkSize: number;
  requestLimit: number;
}

const dir = mkdtempSync(join(tmpdir(), 'zdfu-ble-bench-'));
try {
  const raw = join(dir, 'raw.bin');
  const image = join(dir, 'image.bin');
  writeFileSync(raw, randomBytes(200 * 1024 - 0x200 - 0x200));
  const signed = await zdfu(
    [
      'sign',
      '-k',
      'keys/dev-rsa-2048.pem',
      '-H',
      '0x200',
      '--pad-header',
      '-S',
      '0x100000',
      '-v',
      '3.0.0',
      raw,
      image,
    ],
    dir,
  );
  if (signed.code !== 0) throw new Error(`sign failed: ${signed.stderr}`);
  const rows: string[] = [];
  for (const { name, air } of settings) {
    const radio = await startVirtualRadio({ ptys: [join(dir, 'hci0'), join(dir, 'hci1')], air });
    const sim = new BleSim(simArgs(dir, join(dir, 'hci0'), 'esp-bench'));
    try {
      await sim.ready;
      const conn = ['--conntype', 'ble', '--connstring', `peer_name=esp-bench,hci=uart:${join(dir, 'hci1')}`];
      const [ceiling] = await linkCeilings(air, [ATT_MTU]);
      const upload = async (extra: string[]): Promise<Upload> => {
        const run = await zdfu([...conn, '--json', 'image', 'upload', '--erase', ...extra, image], dir);
        if (run.code !== 0) throw new Error(`upload failed: ${run.stderr}`);
        return JSON.parse(run.stdout) as Upload;
      };
      const rate = (u: Upload): number => u.bytes / (u.elapsedMs / 1000);
      const piped = await upload([]);
      const single = await upload(['-w', '1']);
      const wide = process.env.BENCH_WINDOW ? await upload(['-w', process.env.BENCH_WINDOW]) : undefined;
      if (wide) console.log(`[${name}] window ${wide.window}: ${(rate(wide) / 1000).toFixed(1)} kB/s`);

      const c = ceiling?.ceiling_bytes_per_s ?? Number.NaN;
      rows.push(
        `| ${name} | ${(c / 1000).toFixed(1)} | ${(rate(piped) / 1000).toFixed(1)} (w=${piped.window}, ${((100 * rate(piped)) / c).toFixed(0)} %) | ` +
          `${(rate(single) / 1000).toFixed(1)} (${((100 * rate(single)) / c).toFixed(0)} %) | ${(rate(piped) / rate(single)).toFixed(2)}× | ${piped.requestLimit} / ${piped.chunkSize} |`,
      );
    } finally {
      await sim.stop();
      await radio.stop();
    }
  }
  console.log(`200 KiB upload over BLE (ATT MTU ${ATT_MTU}), kB/s:`);
  console.log('| link | ceiling | pipelined | stop-and-wait | gain | request / chunk bytes |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
