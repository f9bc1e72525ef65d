/** A user-facing CLI failure: its message is the one sentence printed on stderr. */
import type { Fault } from '../util/fault.ts';

export interface CliErrorOptions {
  /** Who the failure is down to; a CLI error is the user's input or this machine unless said. */
  readonly fault?: Fault;
  readonly cause?: unknown;
}

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly fault: Fault;

  constructor(message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.fault = options.fault ?? 'local';
  }
}
