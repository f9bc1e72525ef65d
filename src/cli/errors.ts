/** A user-facing CLI failure: its message is the one sentence printed on stderr. */
import type { Fault } from '../util/fault.ts';

export interface CliErrorOptions {
  /** Who the failure is down to; a CLI error is the user's input or this machine unless said. */
  readonly fault?: Fault;
  readonly cause?: unknown;
}

const FAULT_FOR_EXIT: Readonly<Record<number, Fault>> = { 1: 'local', 2: 'device', 3: 'no-answer' };
const EXIT_FOR_FAULT: Readonly<Record<Fault, number>> = { local: 1, device: 2, 'no-answer': 3 };

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly fault: Fault;

  /** `options` may also be an exit code of the documented scheme (1, 2 or 3), as before faults. */
  constructor(message: string, options: CliErrorOptions | number = {}) {
    const opts: CliErrorOptions =
      typeof options === 'number' ? { fault: FAULT_FOR_EXIT[options] ?? 'local' } : options;
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.fault = opts.fault ?? 'local';
  }

  /** The exit code this error ends the command with. */
  get exitCode(): number {
    return EXIT_FOR_FAULT[this.fault];
  }
}
