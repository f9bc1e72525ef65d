/**
 * BLE upload throughput through the virtual radio's air model (scripts/ble/virtual-radio.py): the
 * zdfu CLI uploads to `zdfu sim --ble` (esp32_devkitc_wroom) for each connection interval × ATT MTU
 * × data length, pipelined (the engine's own window) and stop-and-wait (window 1), and smpclient
 * (a stop-and-wait peer, through its own Bumble host) on the same link, against the ceiling the
 * radio computes for that link (scripts/ble/air_model.py, `--print-ceiling`), so the figures are
 * compared with the very rules the radio applies. Sets the radio up itself (scripts/ble/setup.sh);
 * skipped, in one line, without Python >= 3.10 (Bumble needs it); the smpclient column is
 * empty without the peers' venv (scripts/interop/setup.sh).
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AirOptions, linkCeilings, startVirtualRadio } from '../scripts/ble/virtual-radio.ts';
import { slotPartition } from '../src/device/boards/board.ts';
import { esp32_devkitc_wroom } from '../src/device/boards/esp32_devkitc_wroom.ts';
import { packageRoot } from '../src/device/io/artifacts.ts';
import { randomPayload, runZdfuJson, SIGNED_OVERHEAD, writeDevSignedImage } from './support.ts';
import type { BenchOutput } from './table.ts';

const TITLE = 'BLE image upload, virtual radio (air model), esp32_devkitc_wroom';
const INTERVALS_MS = [7.5, 15, 30];
const ATT_MTUS = [247, 498];
/** DL 251 is run on LE 2M, DL 27 on LE 1M: the common pairings (a controller with LE Data Length
 * Extension usually has 2M too; a 27-octet link is the oldest, 1M-only kind). */
const LINKS: { dataLength: number; phy: AirOptions['phy'] }[] = [
  { dataLength: 27, phy: '1M' },
  { dataLength: 251, phy: '2M' },
];
const PIPELINED_BYTES = 200 * 1024;
/** Stop-and-wait runs at ~4 kB/s on the slowest links: a smaller image keeps the bench near 3 min
 * (its rate is latency-bound, one request per round trip, so the size barely matters). */
const STOP_AND_WAIT_BYTES = 32 * 1024;
const RUN_TIMEOUT_MS = 120_000;
/**
 * On this radio an answer leaves in the connection event after its request's last write, and the
 * next request goes in the event after that: a stop-and-wait client loses about two intervals per
 * request (measured: echo round trip = 2 intervals, test/interop/smpclient-ble.test.ts).
 */
const IDLE_INTERVALS_PER_REQUEST = 2;

interface UploadResult {
  bytes: number;
  sentBytes: number;
  elapsedMs: number;
  window: number;
  requestLimit: number;
  chunkSize: number;
}

export async function runBleBench(): Promise<BenchOutput[]> {
  const skip = prepareRadio();
  if (skip) return [{ kind: 'skipped', title: TITLE, reason: skip }];
  const root = packageRoot();
  const work = mkdtempSync(join(tmpdir(), 'zdfu-bench-ble-'));
  try {
    const large = await writeImage(work, 'large', PIPELINED_BYTES);
    const small = await writeImage(work, 'small', STOP_AND_WAIT_BYTES);
    // Another image of the same size for the peer: the device must not already hold it.
    const peerImage = await writeImage(work, 'peer', STOP_AND_WAIT_BYTES);
    const smpclient = smpclientCommand(root);
    const rows: string[][] = [];
    for (const intervalMs of INTERVALS_MS) {
      for (const { dataLength, phy } of LINKS) {
        const air: AirOptions = { intervalMs, dataLength, phy };
        const ceilings = await linkCeilings(air, ATT_MTUS);
        const hci = [join(work, 'hci0'), join(work, 'hci1')] as const;
        const radio = await startVirtualRadio({ ptys: [...hci], air });
        try {
          for (const attMtu of ATT_MTUS) {
            const name = `bench-${rows.length}`;
            const sim = await startBleSim(root, work, hci[0], name, attMtu);
            try {
              const conn = ['--conntype', 'ble', '--connstring', `peer_name=${name},hci=uart:${hci[1]}`];
              const piped = await upload(work, conn, large, []);
              const single = await upload(work, conn, small, ['-w', '1']);
              const peer =
                smpclient === undefined
                  ? undefined
                  : await smpclientUpload(smpclient, hci[1], name, attMtu, peerImage, work);
              const ceiling = ceilings.find((c) => c.att_mtu === attMtu)?.ceiling_bytes_per_s;
              if (ceiling === undefined) throw new Error(`the radio gave no ceiling for ATT MTU ${attMtu}`);
              rows.push(row(air, attMtu, ceiling, piped, single, peer));
            } finally {
              await sim.stop();
            }
          }
        } finally {
          await radio.stop();
        }
      }
    }
    return [
      {
        kind: 'grid',
        title: TITLE,
        method:
          `One \`zdfu image upload --erase\` process per figure, to a \`zdfu sim --ble --ble-mtu M --fast\` (no flash time) on the ` +
          `virtual radio; rate = image bytes / the engine's upload time (connect and erase excluded). ` +
          `Pipelined uploads a ${PIPELINED_BYTES / 1024} KiB image; stop-and-wait (\`-w 1\`) a ` +
          `${STOP_AND_WAIT_BYTES / 1024} KiB image (smaller, to keep the slow links near 3 min). ` +
          `smpclient 7.3.0 (stop-and-wait, full-buffer requests split over writes) uploads the small image ` +
          `through its own Bumble host${smpclient === undefined ? ' (not installed here: run scripts/interop/setup.sh)' : ''}; its time is its upload call alone. ` +
          `Ceiling: the air model's one-way ATT throughput for the link (no retransmissions, no limit ` +
          `on PDUs per event). "Most a window can gain": ceiling over the best stop-and-wait rate with ` +
          `the same requests, S / (S / ceiling + ${IDLE_INTERVALS_PER_REQUEST} intervals): where the link is slow the requests fill it ` +
          `even one at a time, and no window can gain 1.5×. kB = 1000 B. One run each. Nordic publishes 36–71 kB/s pipelined on nRF52/nRF53.`,
        headers: [
          'interval',
          'ATT MTU',
          'DL / PHY',
          'ceiling kB/s',
          'zdfu pipelined kB/s',
          '% of ceiling',
          'zdfu -w 1 kB/s',
          'smpclient kB/s',
          'pipelined / smpclient',
          'pipelined / -w 1',
          'most a window can gain',
          'request B / window',
        ],
        rows,
      },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function row(
  air: AirOptions,
  attMtu: number,
  ceiling: number,
  piped: UploadResult,
  single: UploadResult,
  peer: number | undefined,
): string[] {
  const rate = (u: UploadResult): number => u.sentBytes / (u.elapsedMs / 1000);
  const request = piped.requestLimit;
  const bestStopAndWait =
    request / (request / ceiling + (IDLE_INTERVALS_PER_REQUEST * air.intervalMs) / 1000);
  return [
    `${air.intervalMs} ms`,
    String(attMtu),
    `${air.dataLength} / ${air.phy}`,
    (ceiling / 1000).toFixed(1),
    (rate(piped) / 1000).toFixed(1),
    `${((100 * rate(piped)) / ceiling).toFixed(0)} %`,
    (rate(single) / 1000).toFixed(1),
    peer === undefined ? '–' : (peer / 1000).toFixed(1),
    peer === undefined ? '–' : `${(rate(piped) / peer).toFixed(2)}×`,
    `${(rate(piped) / rate(single)).toFixed(2)}×`,
    `${(ceiling / bestStopAndWait).toFixed(2)}×`,
    `${request} / ${piped.window}`,
  ];
}

interface SmpclientCommand {
  readonly python: string;
  readonly script: string;
}

/** smpclient's runner from the peers' venv, or undefined when it is not installed. */
function smpclientCommand(root: string): SmpclientCommand | undefined {
  const python = join(root, '.cache', 'peers', 'venv', 'bin', 'python');
  const script = join(root, 'test', 'interop', 'py', 'smpclient_ops.py');
  if (!existsSync(python) || !existsSync(script)) return undefined;
  try {
    execFileSync(python, ['-c', 'import smpclient, bumble'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return { python, script };
}

/** smpclient uploads `image` over its own Bumble host on controller `hci`; bytes per second. */
function smpclientUpload(
  command: SmpclientCommand,
  hci: string,
  name: string,
  attMtu: number,
  image: string,
  dir: string,
): Promise<number> {
  const args = [
    command.script,
    '--transport',
    'ble',
    '--hci',
    `serial:${hci}`,
    '--name',
    name,
    '--mtu',
    String(attMtu),
    'upload',
    image,
  ];
  return new Promise((resolve, reject) => {
    execFile(command.python, args, { timeout: RUN_TIMEOUT_MS, cwd: dir }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`smpclient upload failed: ${error.message}\n${stderr}`));
        return;
      }
      const result = stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { op?: string; seconds?: number; size?: number })
        .find((line) => line.op === 'upload');
      if (result?.seconds === undefined || result.size === undefined) {
        reject(new Error(`smpclient printed no upload result: ${stdout}${stderr}`));
        return;
      }
      resolve(result.size / result.seconds);
    });
  });
}

/** Null when the radio is ready, else the one line saying why the BLE bench cannot run here. */
function prepareRadio(): string | null {
  let version: string;
  try {
    version = execFileSync('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return 'the virtual radio (Google Bumble) needs Python >= 3.10, and python3 was not found.';
  }
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < 3 || (major === 3 && minor < 10)) {
    return `the virtual radio (Google Bumble) needs Python >= 3.10; python3 here is ${version}.`;
  }
  // Idempotent: ≈ 0.1 s when the pinned Bumble is already in the venv, a one-time install otherwise.
  try {
    execFileSync('bash', [join(packageRoot(), 'scripts', 'ble', 'setup.sh')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error);
    return `scripts/ble/setup.sh could not install Bumble: ${stderr.split('\n').pop()}`;
  }
  return null;
}

/** A random payload signed for the board's slot with the dev key, `bytes` long in all. */
async function writeImage(dir: string, label: string, bytes: number): Promise<string> {
  const { path } = await writeDevSignedImage(dir, label, randomPayload(bytes - SIGNED_OVERHEAD), {
    slotSize: slotPartition(esp32_devkitc_wroom, 1).size,
    version: '3.0.0',
  });
  return path;
}

interface SimProcess {
  stop(): Promise<void>;
}

/** `zdfu sim --ble` on one controller; resolves once it printed its ready line. */
async function startBleSim(
  root: string,
  dir: string,
  hci: string,
  name: string,
  attMtu: number,
): Promise<SimProcess> {
  const args = [
    join(root, 'dist', 'zdfu.mjs'),
    'sim',
    '--board',
    esp32_devkitc_wroom.name,
    '--no-udp',
    '--pty',
    join(dir, `${name}-tty`),
    '--ble',
    '--ble-hci',
    `uart:${hci}`,
    '--ble-name',
    name,
    '--ble-mtu',
    String(attMtu),
    // The link against its ceiling: the ESP32's flash (erase 45 ms per 4 KiB) is left out here.
    '--fast',
  ];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ZDFU_HOME: dir },
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await simReady(child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}

function simReady(child: ChildProcess): Promise<void> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`zdfu sim --ble not ready within 20 s: ${output}`)),
      20_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.split('\n').some((line) => line.startsWith('zdfu sim:'))) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`zdfu sim --ble exited (${code}) before it was ready: ${output}`));
    });
  });
}

/** One `zdfu --json image upload --erase` process; its JSON result. */
function upload(dir: string, conn: string[], image: string, extra: string[]): Promise<UploadResult> {
  return runZdfuJson<UploadResult>(
    [...conn, '--json', 'image', 'upload', '--erase', ...extra, image],
    dir,
    RUN_TIMEOUT_MS,
  );
}
