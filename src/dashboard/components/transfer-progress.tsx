/** A transfer's progress: bar, bytes, percent, speed and time left. */
import { formatBytes, formatDuration, formatRate, percent } from '../model/format.ts';

export interface TransferView {
  readonly bytes: number;
  readonly total: number;
  readonly bytesPerSecond: number | undefined;
  readonly etaMs: number | undefined;
}

export function TransferProgress({ progress, label }: { progress: TransferView; label: string }) {
  const pct = percent(progress.bytes, progress.total);
  return (
    <div class="transfer" data-testid="transfer-progress">
      <label class="transfer-label">
        {label}
        <progress
          max={progress.total > 0 ? progress.total : undefined}
          value={progress.total > 0 ? progress.bytes : undefined}
          data-testid="progress-bar"
        />
      </label>
      <p class="transfer-figures">
        <span data-testid="progress-bytes">
          {formatBytes(progress.bytes)} of {formatBytes(progress.total)} ({pct} %)
        </span>
        <span data-testid="progress-speed">{formatRate(progress.bytesPerSecond)}</span>
        <span data-testid="progress-eta">
          {progress.etaMs === undefined ? 'time left: –' : `${formatDuration(progress.etaMs)} left`}
        </span>
      </p>
    </div>
  );
}
