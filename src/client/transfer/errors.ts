/**
 * The error shapes of a chunked transfer, whatever its command: a failure that says where the
 * device stood, another client taking over, and a cancellation that says how to resume. Image
 * upload (src/client/upload.ts) subclasses them under its historical names. Pure: no Node imports.
 */
import type { Fault } from '../../util/fault.ts';

export class TransferError extends Error {
  override readonly name: string = 'TransferError';
  /** Whose fault the failure is, when the transfer knows; otherwise its cause's fault applies. */
  declare readonly fault?: Fault;
  constructor(
    message: string,
    /** Bytes the device confirmed (upload: its offset; download: bytes received in order). */
    readonly offset: number,
    options: { cause?: unknown; fault?: Fault } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Only an own property when known, so classifiers that follow `cause` still can.
    if (options.fault !== undefined)
      Object.defineProperty(this, 'fault', { value: options.fault, enumerable: true });
  }
}

/** The device's side of the transfer changed under it: another client, a reboot, a changed file. */
export class TransferConflictError extends TransferError {
  override readonly name: string = 'TransferConflictError';
}

/** How a transfer kind words its failures (image upload keeps its own error classes). */
export interface TransferErrors {
  failure(message: string, offset: number, options?: { cause?: unknown; fault?: Fault }): Error;
  conflict(message: string, offset: number, options?: { cause?: unknown; fault?: Fault }): Error;
  aborted(offset: number, total: number | undefined): Error;
}
