/**
 * Image upload speed: zdfu's CLI against the real peers (smpmgr, mcumgr-toolkit), each a whole
 * process run against a freshly started virtual board, over the PTY (paced at 115200 baud and
 * unpaced) and over UDP. Figures are image bytes per second of wall time, start-up included,
 * because that is what a user waits for; each tool's start-up + connect time is in the note.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stm32f4_disco } from '../src/device/boards/stm32f4_disco.ts';
import { blinkyImagePath, packageRoot } from '../src/device/io/artifacts.ts';
import { builtFor, smpServerBuild } from '../src/device/server/build-config.ts';
import {
  BAUD,
  hasToolkit,
  type Link,
  randomPayload,
  SERIAL_CEILING_KIB_S,
  type SimBoard,
  SMP_UDP_PORT,
  startSimBoard,
  timedRun,
  writeDevSignedImage,
  zdfuConnArgs,
} from './support.ts';
import { type BenchRow, type BenchTable, meanAndSpread } from './table.ts';

/** The SMP server as the bench's boards are built: every one serves the PTY and UDP. */
const BUILD = smpServerBuild(builtFor(stm32f4_disco, { udp: true }));

/** smpmgr and smpclient always use UDP port 1337, so each board gets its own loopback address. */
const LARGE_IMAGE_PAYLOAD = 200 * 1024;

type Board = SimBoard;
interface Tool {
  name: string;
  /** argv for uploading `file` to the board, and for a no-op exchange (start-up + connect). */
  upload(board: Board, link: Link, file: string): string[];
  noop(board: Board, link: Link): string[];
}
interface Scenario {
  title: string;
  link: Link;
  baud: number;
  image: { label: string; path: string; size: number };
  repetitions: number;
  /** Also time a no-op exchange per run (start-up + connect); the small-image runs show it. */
  timeStartup: boolean;
}

export async function runUploadBench(): Promise<BenchTable[]> {
  const work = mkdtempSync(join(tmpdir(), 'zdfu-bench-upload-'));
  try {
    const small = imageInfo('Binary Two', blinkyImagePath('blinky-two'));
    const large = imageInfo('200 KiB test image', await writeLargeImage(work));
    const { tools, missing } = availableTools();
    const plan = (title: string, link: Link, baud: number, image: Scenario['image']): Scenario => {
      const isSmall = image === small;
      // The 200 KiB runs are long, so fewer; start-up is timed on the small runs only.
      return { title, link, baud, image, repetitions: isSmall ? 3 : 2, timeStartup: isSmall };
    };
    const scenarios = [
      plan('serial (PTY) at 115200 baud', 'serial', BAUD, small),
      plan('serial (PTY) at 115200 baud', 'serial', BAUD, large),
      plan('serial (PTY), unpaced', 'serial', 0, small),
      plan('serial (PTY), unpaced', 'serial', 0, large),
      plan('UDP (loopback)', 'udp', 0, small),
      plan('UDP (loopback)', 'udp', 0, large),
    ];
    const tables: BenchTable[] = [];
    for (const scenario of scenarios) tables.push(await runScenario(scenario, tools, missing));
    return tables;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function runScenario(scenario: Scenario, tools: Tool[], missing: string[]): Promise<BenchTable> {
  const rows: BenchRow[] = [];
  for (const tool of tools) {
    const rates: number[] = [];
    const startups: number[] = [];
    for (let rep = 0; rep < scenario.repetitions; rep++) {
      const board = await startSimBoard(scenario.baud);
      try {
        if (scenario.timeStartup) startups.push(await timedRun(tool.noop(board, scenario.link)));
        const seconds = await timedRun(tool.upload(board, scenario.link, scenario.image.path));
        rates.push(scenario.image.size / 1024 / seconds);
      } finally {
        await board.handle.close();
      }
    }
    const { mean, spread } = meanAndSpread(rates);
    const note = startups.length
      ? `start-up + connect ${meanAndSpread(startups).mean.toFixed(2)} s`
      : undefined;
    rows.push({ tool: tool.name, value: mean, spread, ...(note ? { note } : {}) });
  }
  const ceiling =
    scenario.link === 'serial' && scenario.baud > 0
      ? ` Link ceiling: ${SERIAL_CEILING_KIB_S.toFixed(2)} KiB/s (115200 baud, 10 bits a byte, base64 3/4) before SMP/line framing.`
      : '';
  const absent = missing.length ? ` Not measured (run scripts/interop/setup.sh): ${missing.join(', ')}.` : '';
  return {
    title: `Image upload, ${scenario.image.label} (${scenario.image.size} B), ${scenario.title}`,
    unit: 'KiB/s (higher is better)',
    lowerIsBetter: false,
    rows,
    method:
      `Mean ± SD of ${scenario.repetitions} runs, each a whole CLI process uploading to a freshly started ` +
      `virtual stm32f4_disco (buf_size ${BUILD.netbufSize}, buf_count ${BUILD.netbufCount}: it serves UDP too, so it is ` +
      `smp_svr's UDP build), with its flash timing, ` +
      `wall time including start-up. Every tool sizes its requests its own way (zdfu and mcumgr-toolkit ` +
      `from the device's MCUmgr params).${ceiling}${absent}`,
  };
}

function imageInfo(label: string, path: string): Scenario['image'] {
  return { label, path, size: readFileSync(path).length };
}

/** A ~200 KiB random payload signed for the board with the dev key, like a real application. */
async function writeLargeImage(dir: string): Promise<string> {
  const { path } = await writeDevSignedImage(dir, 'large', randomPayload(LARGE_IMAGE_PAYLOAD), {
    slotSize: 0x60000,
    version: '3.0.0',
  });
  return path;
}

function availableTools(): { tools: Tool[]; missing: string[] } {
  const root = packageRoot();
  const zdfu = join(root, 'dist', 'zdfu.mjs');
  const venv = join(root, '.cache', 'peers', 'venv', 'bin');
  const tools: Tool[] = [
    {
      name: 'zdfu',
      upload: (board, link, file) => [
        process.execPath,
        zdfu,
        ...zdfuConnArgs(board, link),
        'image',
        'upload',
        file,
      ],
      noop: (board, link) => [process.execPath, zdfu, ...zdfuConnArgs(board, link), 'params'],
    },
  ];
  const missing: string[] = [];
  const smpmgr = join(venv, 'smpmgr');
  const smpmgrConn = (board: Board, link: Link) =>
    link === 'serial' ? ['--port', board.handle.ptyPath] : ['--ip', board.udpHost];
  if (existsSync(smpmgr)) {
    tools.push({
      name: 'smpmgr 0.19.1',
      upload: (board, link, file) => [smpmgr, ...smpmgrConn(board, link), 'image', 'upload', file],
      noop: (board, link) => [smpmgr, ...smpmgrConn(board, link), 'image', 'state-read'],
    });
  } else missing.push('smpmgr');
  const python = join(venv, 'python');
  const toolkitOps = join(root, 'test', 'interop', 'py', 'toolkit_ops.py');
  const toolkitConn = (board: Board, link: Link) =>
    link === 'serial' ? ['--serial', board.handle.ptyPath] : ['--udp', `${board.udpHost}:${SMP_UDP_PORT}`];
  if (existsSync(python) && existsSync(toolkitOps) && hasToolkit(python)) {
    tools.push({
      name: 'mcumgr-toolkit 0.20.0 (Python API)',
      upload: (board, link, file) => [python, toolkitOps, ...toolkitConn(board, link), 'upload', file],
      noop: (board, link) => [python, toolkitOps, ...toolkitConn(board, link), 'params'],
    });
  } else missing.push('mcumgr-toolkit');
  return { tools, missing };
}
