/**
 * File upload and download speed (SMP fs group 8): zdfu's CLI against the real peers (smpmgr,
 * mcumgr-toolkit's Python API), each a whole process run against a freshly started virtual
 * nrf52840dk (LittleFS at /lfs1 on its 32 KiB storage partition, with the board's flash timing),
 * over the PTY at 115200 baud and over UDP. Figures are file bytes per second of wall time,
 * start-up included, as in bench/upload.ts; each tool's start-up + connect time is in the note.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBoard } from '../src/device/boards/index.ts';
import { packageRoot } from '../src/device/io/artifacts.ts';
import { builtFor, smpServerBuild } from '../src/device/server/build-config.ts';
import { downloadChunkSize } from '../src/groups/fs/config.ts';
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
  zdfuConnArgs,
} from './support.ts';
import { type BenchRow, type BenchTable, meanAndSpread } from './table.ts';

const BOARD = getBoard('nrf52840dk');
/** Every board here serves the PTY and UDP: smp_svr's UDP build (2048-byte buffers, 2 of them). */
const BUILD = smpServerBuild(builtFor(BOARD, { udp: true }));
/**
 * A file that leaves the 8-block LittleFS room for what the app keeps there from its first boot:
 * the superblock pair, the log file and the settings directory's pair (settings_file.c creates
 * it at init). 16 KiB no longer fits once settings came (FILE_WRITE_FAILED on a fresh board).
 */
const FILE_SIZE = 8 * 1024;
const REPETITIONS = 2;
const REMOTE = '/lfs1/bench.bin';

type Direction = 'upload' | 'download';
type Board = SimBoard;
interface Tool {
  name: string;
  run(board: Board, link: Link, direction: Direction, local: string): string[];
  /** A no-op exchange: start-up + connect. */
  noop(board: Board, link: Link): string[];
}

/** Upload ceiling over UDP: what the flash takes to erase and program a 4 KiB block per block. */
function flashCeilingKiBs(): number {
  const device = BOARD.flashDevices[0];
  const sector = device?.sectors[0];
  if (!device || !sector) return Number.NaN;
  const seconds = sector.eraseMs / 1000 + (sector.size * device.programUsPerByte) / 1e6;
  return sector.size / 1024 / seconds;
}

export async function runFsBench(): Promise<BenchTable[]> {
  const work = mkdtempSync(join(tmpdir(), 'zdfu-bench-fs-'));
  try {
    const local = join(work, 'file.bin');
    writeFileSync(local, randomPayload(FILE_SIZE));
    const { tools, missing } = availableTools();
    const tables: BenchTable[] = [];
    for (const link of ['serial', 'udp'] as const) {
      for (const direction of ['upload', 'download'] as const) {
        tables.push(await runScenario(link, direction, local, work, tools, missing));
      }
    }
    return tables;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function runScenario(
  link: Link,
  direction: Direction,
  local: string,
  work: string,
  tools: Tool[],
  missing: string[],
): Promise<BenchTable> {
  const rows: BenchRow[] = [];
  const zdfu = tools[0];
  for (const tool of tools) {
    const rates: number[] = [];
    const startups: number[] = [];
    for (let rep = 0; rep < REPETITIONS; rep++) {
      const board = await startSimBoard(link === 'serial' ? BAUD : 0, BOARD);
      try {
        if (rep === 0) startups.push(await timedRun(tool.noop(board, link)));
        // A download needs the file on the device first (put there by zdfu, not timed).
        if (direction === 'download' && zdfu) await timedRun(zdfu.run(board, link, 'upload', local));
        const target = direction === 'upload' ? local : join(work, `${tool.name.split(' ')[0]}-${rep}.out`);
        if (direction === 'download') rmSync(target, { force: true });
        const seconds = await timedRun(tool.run(board, link, direction, target));
        rates.push(FILE_SIZE / 1024 / seconds);
      } finally {
        await board.handle.close();
      }
    }
    const { mean, spread } = meanAndSpread(rates);
    rows.push({
      tool: tool.name,
      value: mean,
      spread,
      note: `start-up + connect ${meanAndSpread(startups).mean.toFixed(2)} s`,
    });
  }
  const ceiling =
    link === 'serial'
      ? `Link ceiling: ${SERIAL_CEILING_KIB_S.toFixed(2)} KiB/s (115200 baud, 10 bits a byte, base64 3/4) before SMP/line framing.`
      : direction === 'upload'
        ? `Flash ceiling: ${flashCeilingKiBs().toFixed(1)} KiB/s (erasing and programming each 4 KiB block, ` +
          `${BOARD.flashDevices[0]?.sectors[0]?.eraseMs} ms + ${BOARD.flashDevices[0]?.programUsPerByte} µs/B), before LittleFS's metadata.`
        : `No physical ceiling on loopback: the device reads memory-mapped flash and answers ` +
          `${downloadChunkSize(BUILD.netbufSize)} B per request (its ${BUILD.netbufSize} B buffer), ` +
          'so request round trips and start-up set the pace.';
  const absent = missing.length ? ` Not measured (run scripts/interop/setup.sh): ${missing.join(', ')}.` : '';
  return {
    title: `fs ${direction}, ${FILE_SIZE / 1024} KiB file, ${link === 'serial' ? 'serial (PTY) at 115200 baud' : 'UDP (loopback)'}`,
    unit: 'KiB/s (higher is better)',
    lowerIsBetter: false,
    rows,
    method:
      `Mean ± SD of ${REPETITIONS} runs, each a whole CLI process against a freshly started virtual ${BOARD.name} ` +
      `(buf_size ${BUILD.netbufSize}, buf_count ${BUILD.netbufCount}; LittleFS at /lfs1 on its 32 KiB storage ` +
      `partition), with its flash timing, wall time including start-up. ${ceiling}${absent}`,
  };
}

function availableTools(): { tools: Tool[]; missing: string[] } {
  const root = packageRoot();
  const zdfu = join(root, 'dist', 'zdfu.mjs');
  const venv = join(root, '.cache', 'peers', 'venv', 'bin');
  const tools: Tool[] = [
    {
      name: 'zdfu',
      run: (board, link, direction, local) =>
        direction === 'upload'
          ? [process.execPath, zdfu, ...zdfuConnArgs(board, link), 'fs', 'upload', local, REMOTE]
          : [
              process.execPath,
              zdfu,
              ...zdfuConnArgs(board, link),
              'fs',
              'download',
              '--force',
              REMOTE,
              local,
            ],
      noop: (board, link) => [process.execPath, zdfu, ...zdfuConnArgs(board, link), 'fs', 'types'],
    },
  ];
  const missing: string[] = [];
  const smpmgr = join(venv, 'smpmgr');
  const smpmgrConn = (board: Board, link: Link) =>
    link === 'serial' ? ['--port', board.handle.ptyPath] : ['--ip', board.udpHost];
  if (existsSync(smpmgr)) {
    tools.push({
      name: 'smpmgr 0.19.1',
      run: (board, link, direction, local) =>
        direction === 'upload'
          ? [smpmgr, ...smpmgrConn(board, link), 'file', 'upload', local, REMOTE]
          : [smpmgr, ...smpmgrConn(board, link), 'file', 'download', REMOTE, local],
      noop: (board, link) => [smpmgr, ...smpmgrConn(board, link), 'file', 'get-supported-hash-types'],
    });
  } else missing.push('smpmgr');
  const python = join(venv, 'python');
  const toolkitOps = join(root, 'test', 'interop', 'py', 'toolkit_ops.py');
  const toolkitConn = (board: Board, link: Link) =>
    link === 'serial' ? ['--serial', board.handle.ptyPath] : ['--udp', `${board.udpHost}:${SMP_UDP_PORT}`];
  if (existsSync(python) && existsSync(toolkitOps) && hasToolkit(python)) {
    tools.push({
      name: 'mcumgr-toolkit 0.20.0 (Python API)',
      run: (board, link, direction, local) =>
        direction === 'upload'
          ? [python, toolkitOps, ...toolkitConn(board, link), 'fs-upload', local, REMOTE]
          : [python, toolkitOps, ...toolkitConn(board, link), 'fs-download', REMOTE, local],
      noop: (board, link) => [python, toolkitOps, ...toolkitConn(board, link), 'fs-types'],
    });
  } else missing.push('mcumgr-toolkit');
  return { tools, missing };
}
