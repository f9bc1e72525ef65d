/**
 * Where the firmware's bootstrap (./worker-bootstrap.ts) runs: the interface runner.ts drives, and
 * the starters that make one. Node's are in ./node-threads.ts (a worker thread, or inline on the
 * event loop); a browser's in ../web/firmware-host.ts. Pure: no Node imports.
 */

/** What runner.ts uses of a Worker. */
export interface FirmwareThreadHandle {
  on(event: 'message', listener: (message: unknown) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  /** A message to the firmware side (a shell command to run). */
  postMessage(message: unknown): void;
  terminate(): Promise<unknown>;
}

/** How the app is isolated from the device: its own thread, or the device's event loop. */
export type FirmwareThreadKind = 'worker' | 'inline';

/** Starts the bootstrap text with its data (the bootstrap reads it as `workerData`). */
export interface FirmwareThreadStarter {
  readonly kind: FirmwareThreadKind;
  start(bootstrap: string, workerData: Record<string, unknown>): FirmwareThreadHandle;
}
