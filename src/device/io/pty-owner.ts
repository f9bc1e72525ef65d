/**
 * Who holds a pseudo-terminal: the process with the master side of /dev/pts/N open, found the
 * way `lsof` does on Linux, from /proc/PID/fd (a link to /dev/ptmx) and /proc/PID/fdinfo
 * ("tty-index: N"). A PTY link whose PTY has such a holder belongs to a live sim; one whose PTY
 * has none was left by a sim that died.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface PtyHolder {
  pid: number;
  /** Its command line, for messages ("node dist/zdfu.mjs sim --pty …"). */
  command: string;
}

/** The N of "/dev/pts/N", or undefined for any other path. */
export function ptyIndex(path: string): number | undefined {
  const match = /^\/dev\/pts\/(\d+)$/.exec(path);
  return match ? Number(match[1]) : undefined;
}

/** The process holding the master of /dev/pts/`index` (this one included), if any. */
export function findPtyHolder(index: number): PtyHolder | undefined {
  for (const pid of numericEntries('/proc')) {
    for (const fd of numericEntries(`/proc/${pid}/fd`)) {
      if (!isPtmx(`/proc/${pid}/fd/${fd}`)) continue;
      const info = readOrEmpty(`/proc/${pid}/fdinfo/${fd}`);
      const tty = /^tty-index:\s*(\d+)$/m.exec(info);
      if (tty && Number(tty[1]) === index) return { pid, command: commandOf(pid) };
    }
  }
  return undefined;
}

function numericEntries(dir: string): number[] {
  try {
    return readdirSync(dir)
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    // Gone, or another user's process: not ours to see.
    return [];
  }
}

function isPtmx(fdPath: string): boolean {
  try {
    const target = readlinkSync(fdPath);
    return target === '/dev/ptmx' || target === '/dev/pts/ptmx';
  } catch {
    return false;
  }
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function commandOf(pid: number): string {
  const raw = readOrEmpty(`/proc/${pid}/cmdline`);
  const words = raw.split('\0').filter((w) => w.length > 0);
  const text = words.join(' ');
  return text.length > 120 ? `${text.slice(0, 117)}...` : text || `process ${pid}`;
}
