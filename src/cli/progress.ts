/**
 * The upload progress bar (cli-progress) with speed and ETA, drawn on stderr only when stderr is a
 * real terminal and output is not JSON; otherwise progress is silent.
 */
import { WriteStream } from 'node:tty';
import type { SingleBar } from 'cli-progress';
import type { UploadProgress } from '../client/upload.ts';
import type { OutputStream } from './context.ts';
import { formatRate } from './format.ts';

export interface ProgressView {
  update(progress: UploadProgress): void;
  /** Prints a line of text (a notice) without garbling the bar. */
  note(text: string): void;
  stop(): void;
}

/** Without a bar (and with --json, whose document is on stdout), notices still reach stderr. */
function silent(stderr: OutputStream): ProgressView {
  return { update: () => {}, note: (text) => void stderr.write(text), stop: () => {} };
}

/** `label` names the transfer on the bar: "Uploading" (default) or "Downloading". */
export function createProgressView(
  stderr: OutputStream,
  enabled: boolean,
  label = 'Uploading',
): ProgressView {
  if (!enabled || !(stderr instanceof WriteStream) || !stderr.isTTY) return silent(stderr);
  let bar: SingleBar | undefined;
  let barStarted = false;
  let stopped = false;
  let latest: UploadProgress | undefined;
  const draw = (progress: UploadProgress) => {
    if (!bar) return;
    if (!barStarted) {
      // A download learns its total from the first answer; the bar starts then.
      if (progress.total === 0) return;
      // A resumed upload starts where the device stopped, so the bar's own rate and ETA count
      // only what this run sends.
      bar.start(progress.total, progress.resumedFrom, { speed: '-' });
      barStarted = true;
    }
    bar.update(progress.bytes, { speed: formatRate(progress.bytesPerSecond) });
  };
  // Loaded only when a bar is really drawn: cli-progress costs start-up time for every command.
  void import('cli-progress').then(({ SingleBar }) => {
    if (stopped) return;
    bar = new SingleBar({
      stream: stderr,
      format: `${label} [{bar}] {percentage}% | {value}/{total} B | {speed} | ETA {eta_formatted}`,
      hideCursor: true,
      barsize: 30,
      etaBuffer: 20,
    });
    if (latest) draw(latest);
  });
  return {
    update(progress) {
      latest = progress;
      draw(progress);
    },
    note(text) {
      if (barStarted && bar !== undefined) {
        // cli-progress redraws the bar on its own line; clear it, print, redraw.
        stderr.write('\r\x1b[K');
        stderr.write(text);
        if (latest !== undefined) bar.update(latest.bytes);
      } else {
        stderr.write(text);
      }
    },
    stop() {
      stopped = true;
      if (barStarted) bar?.stop();
    },
  };
}
