/**
 * One async action behind a button: whether it runs (to disable the button and say so), its
 * result, and its failure in words (model/problem.ts). A newer run supersedes an older one's
 * outcome, and nothing is set after the component is gone.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { problemText } from '../model/problem.ts';

export interface Task<T> {
  readonly busy: boolean;
  readonly error: string | undefined;
  readonly result: T | undefined;
  run(action: () => Promise<T>): Promise<T | undefined>;
  clear(): void;
}

export function useTask<T>(onError?: (error: unknown) => void): Task<T> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [result, setResult] = useState<T | undefined>();
  const generation = useRef(0);
  const alive = useRef(true);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );
  const run = useCallback(
    async (action: () => Promise<T>) => {
      const mine = ++generation.current;
      const current = () => alive.current && mine === generation.current;
      setBusy(true);
      setError(undefined);
      try {
        const value = await action();
        if (current()) setResult(value);
        return value;
      } catch (caught) {
        onError?.(caught);
        if (current()) setError(problemText(caught));
        return undefined;
      } finally {
        if (current()) setBusy(false);
      }
    },
    [onError],
  );
  const clear = useCallback(() => {
    generation.current++;
    setBusy(false);
    setError(undefined);
    setResult(undefined);
  }, []);
  return { busy, error, result, run, clear };
}
