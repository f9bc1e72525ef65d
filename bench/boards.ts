/**
 * Cheap devices: memory per idle virtual board, many boards in one process (the fleet work needs
 * 1,000). Each measurement runs in a fresh child process (`bench boards-child <mode> <n>`) so the
 * other benchmarks' garbage does not count: it boots N boards running Binary One, lets them blink
 * idle for a while, collects garbage and reports (RSS after − RSS before) / N. Modes: the firmware
 * in a worker thread per board, or inline on the main thread's event loop (one process, no thread
 * per board). Also: flash write/erase throughput of the flash model (an upload's pattern).
 */
import { execFileSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEV_RSA_2048_PUBLIC_PEM } from '../src/device/boards/bootloader-keys.ts';
import { createBoardFlash, getBoard } from '../src/device/boards/index.ts';
import { VirtualDevice } from '../src/device/device.ts';
import type { FirmwareThreadKind as FirmwareThread } from '../src/device/firmware/runner.ts';
import { readBlinkyImage } from '../src/device/io/artifacts.ts';
import { loadPublicKey } from '../src/image/keys.ts';
import { type BenchGrid, type BenchOutput, meanAndSpread } from './table.ts';

const BOARDS = 100;
const IDLE_MS = 3000;
const MIB = 1024 * 1024;

interface ChildResult {
  board: string;
  mode: FirmwareThread;
  boards: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  perBoardMiB: number;
  heapPerBoardMiB: number;
  flashPagesPerBoard: number;
  bootMs: number;
  running: number;
}

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

/** The child: boot `count` boards in `mode`, idle, measure. Prints one JSON line. */
export async function boardsChild(boardName: string, mode: FirmwareThread, count: number): Promise<void> {
  const board = getBoard(boardName);
  const keys = [await loadPublicKey(DEV_RSA_2048_PUBLIC_PEM)];
  const image = readBlinkyImage('blinky-one');
  // Warm up one board so module loading and JIT do not count against the fleet.
  const warm = new VirtualDevice({ board, bootloaderKeys: keys, firmwareThread: mode });
  warm.programSlot(0, image);
  await warm.powerOn();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await warm.powerOff();
  collectGarbage();
  const before = process.memoryUsage();
  const started = performance.now();
  const devices: VirtualDevice[] = [];
  for (let i = 0; i < count; i++) {
    const device = new VirtualDevice({
      board,
      bootloaderKeys: keys,
      flash: createBoardFlash(board),
      firmwareThread: mode,
    });
    device.programSlot(0, image);
    await device.powerOn();
    devices.push(device);
  }
  const bootMs = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  collectGarbage();
  const after = process.memoryUsage();
  const running = devices.filter((d) => d.state === 'running' && d.firmware?.status() === 'running').length;
  const result: ChildResult = {
    board: board.name,
    mode,
    boards: count,
    rssBeforeMiB: before.rss / MIB,
    rssAfterMiB: after.rss / MIB,
    perBoardMiB: (after.rss - before.rss) / MIB / count,
    heapPerBoardMiB: (after.heapUsed - before.heapUsed) / MIB / count,
    flashPagesPerBoard: devices.reduce((a, d) => a + d.flash.storedPages, 0) / count,
    bootMs,
    running,
  };
  for (const device of devices) await device.powerOff();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(board: string, mode: FirmwareThread, count: number): ChildResult {
  const out = execFileSync(process.execPath, [process.argv[1]!, 'boards-child', board, mode, String(count)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const line = out.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ChildResult;
}

/** Flash model speed on an upload's pattern: erase 384 KiB (three 128 KiB sectors), program it in 2 KiB writes, read it back. */
function flashThroughput(): { mibPerS: number; spread: number } {
  const board = getBoard('stm32f4_disco');
  const flash = createBoardFlash(board);
  const chunk = new Uint8Array(2048).map((_, i) => (i * 7) & 0xff);
  const rates: number[] = [];
  for (let rep = 0; rep < 7; rep++) {
    const start = performance.now();
    let bytes = 0;
    for (let round = 0; round < 20; round++) {
      flash.erase(0x80000, 0x60000);
      for (let off = 0x80000; off < 0xe0000; off += chunk.length) {
        if (!flash.isErased(off, chunk.length)) throw new Error('not erased');
        flash.write(off, chunk);
        bytes += chunk.length;
      }
      flash.read(0x80000, 0x60000);
    }
    rates.push(bytes / MIB / ((performance.now() - start) / 1000));
  }
  const { mean, spread } = meanAndSpread(rates.slice(2));
  return { mibPerS: mean, spread };
}

export async function runBoardsBench(): Promise<BenchOutput[]> {
  const rows: string[][] = [];
  const runs = [
    ['stm32f4_disco', 'worker'],
    ['stm32f4_disco', 'inline'],
    ['esp32_devkitc_wroom', 'inline'],
  ] as const;
  for (const [board, mode] of runs) {
    const r = runChild(board, mode, BOARDS);
    rows.push([
      r.board,
      mode === 'worker' ? 'worker thread per board' : 'inline (main event loop)',
      String(r.boards),
      `${r.running}`,
      r.perBoardMiB.toFixed(2),
      r.heapPerBoardMiB.toFixed(2),
      r.flashPagesPerBoard.toFixed(1),
      (r.bootMs / r.boards).toFixed(1),
      `${r.rssBeforeMiB.toFixed(0)} → ${r.rssAfterMiB.toFixed(0)}`,
    ]);
  }
  const grid: BenchGrid = {
    kind: 'grid',
    title: `Memory per idle board, ${BOARDS} boards in one process`,
    method:
      `Each row is a fresh child process: one warm-up board, then ${BOARDS} boards booted with Binary One, ` +
      `${IDLE_MS / 1000} s idle (blinking), two full GCs, RSS delta / ${BOARDS}. Target: ≤ 5 MiB per idle board.`,
    headers: [
      'board',
      'firmware runs',
      'boards',
      'running',
      'MiB RSS / board',
      'MiB heap / board',
      'flash pages / board',
      'ms boot / board',
      'RSS MiB',
    ],
    rows,
  };
  const t = flashThroughput();
  const flash: BenchGrid = {
    kind: 'grid',
    title: 'Flash model throughput (upload pattern)',
    method:
      'stm32f4_disco flash: erase 384 KiB at 0x80000 (three 128 KiB sectors), check + program it in 2 KiB writes, read it back; 20 rounds, 7 repetitions (2 warm-up dropped).',
    headers: ['operation', 'MiB programmed / s', '±'],
    rows: [['erase + isErased + write + read', t.mibPerS.toFixed(0), t.spread.toFixed(0)]],
  };
  return [grid, flash];
}
