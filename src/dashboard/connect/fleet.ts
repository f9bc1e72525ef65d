/**
 * The page's watch on a gateway's fleet (`zdfu gateway --dashboard`): one socket to the serve that
 * streams the fleet's status (src/transport/web/websocket.ts watchServeFleet). Held by the app, so
 * the watch survives switching views. Redraws are batched to one per frame.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { FleetSnapshot } from '../../serve/fleet-protocol.ts';
import { type FleetWatch, ServeError, watchServeFleet } from '../../transport/web/websocket.ts';
import { problemText } from '../model/problem.ts';
import type { ServeAddress } from './serve.ts';

export type FleetWatchState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'connecting'; readonly address: ServeAddress }
  | { readonly kind: 'watching'; readonly address: ServeAddress; readonly snapshot: FleetSnapshot }
  | {
      readonly kind: 'ended';
      readonly address: ServeAddress;
      readonly problem: string;
      readonly snapshot: FleetSnapshot | undefined;
    };

export interface FleetWatcher {
  readonly state: FleetWatchState;
  watch(address: ServeAddress): Promise<void>;
  stop(): void;
}

export function useFleetWatch(): FleetWatcher {
  const [state, setState] = useState<FleetWatchState>({ kind: 'idle' });
  const current = useRef<{ watch: FleetWatch | undefined; generation: number }>({
    watch: undefined,
    generation: 0,
  });

  const stop = useCallback(() => {
    current.current.generation++;
    current.current.watch?.close();
    current.current.watch = undefined;
    setState({ kind: 'idle' });
  }, []);

  const watch = useCallback(async (address: ServeAddress) => {
    current.current.watch?.close();
    const generation = ++current.current.generation;
    const mine = () => current.current.generation === generation;
    setState({ kind: 'connecting', address });
    let latest: FleetSnapshot | undefined;
    let frame = 0;
    const show = () => {
      frame = 0;
      if (mine() && latest) setState({ kind: 'watching', address, snapshot: latest });
    };
    try {
      const handle = await watchServeFleet(
        { url: address.url, token: address.token },
        {
          onStatus: (snapshot) => {
            latest = snapshot;
            if (frame === 0) frame = requestAnimationFrame(show);
          },
          onEnd: (error) => {
            if (frame !== 0) cancelAnimationFrame(frame);
            if (mine()) setState({ kind: 'ended', address, problem: fleetProblem(error), snapshot: latest });
          },
        },
      );
      if (!mine()) {
        handle.close();
        return;
      }
      current.current.watch = handle;
      show();
    } catch (error) {
      if (mine()) setState({ kind: 'ended', address, problem: fleetProblem(error), snapshot: undefined });
    }
  }, []);

  useEffect(() => () => current.current.watch?.close(), []);
  return { state, watch, stop };
}

/** The serve's own words (they say what to do); anything else as the dashboard words failures. */
function fleetProblem(error: unknown): string {
  return error instanceof ServeError ? error.message : problemText(error);
}
