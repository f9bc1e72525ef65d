/** Helpers for the `zdfu sim` host tests: temp dirs, flash files in a known state, in-process runs. */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../../src/cli/context.ts';
import { runCli } from '../../../src/cli/run.ts';
import type { Board } from '../../../src/device/boards/board.ts';
import { createBoardFlash } from '../../../src/device/boards/index.ts';
import { stm32f4_disco } from '../../../src/device/boards/stm32f4_disco.ts';
import type { Flash } from '../../../src/device/flash.ts';
import { readBlinkyImage } from '../../../src/device/io/artifacts.ts';
import { bootAreas } from '../../../src/device/mcuboot/boot.ts';
import { setPending } from '../../../src/device/mcuboot/public.ts';
import { uploadImage } from '../mcuboot-fixtures.ts';

export class TempDirs {
  private readonly dirs: string[] = [];
  make(prefix = 'zdfu-sim-'): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }
  cleanup(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

/** Child processes a test started (sims), killed after it if still running. */
export class Children {
  private readonly started: ChildProcess[] = [];
  track(child: ChildProcess): ChildProcess {
    this.started.push(child);
    return child;
  }
  killAll(): void {
    for (const child of this.started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** Waits until `check` holds, polling every 25 ms; fails naming `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 20000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A board's flash: Binary One in slot 0 and, with `pendingTwo`, Binary Two marked for test. */
export function blinkyFlash(pendingTwo: boolean, board: Board = stm32f4_disco): Flash {
  const flash = createBoardFlash(board);
  const areas = bootAreas(flash, board);
  uploadImage(areas.primary, readBlinkyImage('blinky-one'));
  if (pendingTwo) {
    uploadImage(areas.secondary, readBlinkyImage('blinky-two'));
    setPending(areas.secondary, false, board.mcuboot.maxAlign);
  }
  return flash;
}

export function writeFlashFile(path: string, flash: Flash): void {
  writeFileSync(path, flash.contents());
}

export interface SimRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `zdfu sim ...` in-process; it is stopped (as by Ctrl-C) once its stdout matches `until`. */
export async function runSimUntil(args: string[], until: RegExp, timeoutMs = 15000): Promise<SimRun> {
  const abort = new AbortController();
  let out = '';
  let err = '';
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const io: CliIo = {
    stdout: {
      write: (t: string | Uint8Array) => {
        out += typeof t === 'string' ? t : Buffer.from(t).toString();
        if (until.test(out)) abort.abort();
      },
    },
    stderr: { write: (t: string) => (err += t) },
    env: {},
    signal: abort.signal,
  };
  try {
    const code = await runCli(['sim', ...args], io);
    return { code, out, err };
  } finally {
    clearTimeout(timer);
  }
}
