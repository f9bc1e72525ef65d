/**
 * Any failure as the sentence a person reads: the CLI's words (src/cli/failure.ts describeError:
 * the device's error with its code, timeouts with advice, aborted uploads with where they
 * stopped), plus what a page adds: a link that closed means the device went away. Pure.
 */
import { describeError } from '../../cli/failure.ts';
import { SmpError } from '../../smp/errors.ts';
import { LinkError } from '../../transport/link-error.ts';

/** MGMT_ERR_ENOTSUP: the device does not serve that command or group. */
const ENOTSUP = 8;

export function problemText(error: unknown): string {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof LinkError && e.closed) {
      return `The connection to the device closed (${e.message.replace(/[.\s]*$/, '')}). Nothing more can be sent: connect again.`;
    }
  }
  return describeError(error);
}

/** True when the device answered "not supported" (the group or command is not built in). */
export function isNotSupported(error: unknown): boolean {
  return error instanceof SmpError && error.group === undefined && error.rc === ENOTSUP;
}
