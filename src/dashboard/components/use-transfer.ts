/**
 * Progress of one transfer for the page: feeds the engine's progress reports into a RateMeter
 * (model/rate.ts) and updates the view at most every 100 ms (the engine reports every chunk).
 */
import { useCallback, useRef, useState } from 'preact/hooks';
import type { TransferProgress as EngineProgress } from '../../client/transfer/engine.ts';
import { RateMeter } from '../model/rate.ts';
import type { TransferView } from './transfer-progress.tsx';

const REDRAW_MS = 100;

export function useTransferProgress(): {
  progress: TransferView | undefined;
  onProgress: (p: EngineProgress) => void;
  reset: () => void;
} {
  const [progress, setProgress] = useState<TransferView | undefined>();
  const meter = useRef(new RateMeter());
  const lastDraw = useRef(0);
  const onProgress = useCallback((p: EngineProgress) => {
    const now = performance.now();
    meter.current.add({ atMs: now, bytes: p.bytes });
    if (now - lastDraw.current < REDRAW_MS && p.bytes < p.total) return;
    lastDraw.current = now;
    const estimate = meter.current.estimate(p.total);
    setProgress({ bytes: p.bytes, total: p.total, ...estimate });
  }, []);
  const reset = useCallback(() => {
    meter.current.reset();
    lastDraw.current = 0;
    setProgress(undefined);
  }, []);
  return { progress, onProgress, reset };
}
