/**
 * The upload progress bar (cli-progress) with speed and ETA, drawn on stderr only when stderr is a
 * real terminal and output is not JSON; otherwise progress is silent.
 */
import { WriteStream } from 'node:tty';
import { SingleBar } from 'cli-progress';
import type { UploadProgress } from '../client/upload.ts';
import type { OutputStream } from './context.ts';
import { formatRate } from './format.ts';

export interface ProgressView {
  update(progress: UploadProgress): void;
  stop(): void;
}

const silent: ProgressView = { update: () => {}, stop: () => {} };

export function createProgressView(stderr: OutputStream, enabled: boolean): ProgressView {
  if (!enabled || !(stderr instanceof WriteStream) || !stderr.isTTY) return silent;
  const bar = new SingleBar({
    stream: stderr,
    format: 'Uploading [{bar}] {percentage}% | {value}/{total} B | {speed} | ETA {eta_formatted}',
    hideCursor: true,
    barsize: 30,
    etaBuffer: 20,
  });
  let started = false;
  return {
    update(progress) {
      if (!started) {
        bar.start(progress.total, 0, { speed: '-' });
        started = true;
      }
      bar.update(progress.bytes, { speed: formatRate(progress.bytesPerSecond) });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
