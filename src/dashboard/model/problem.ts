/**
 * Any failure as the sentence a person reads: the CLI's words (src/cli/failure.ts describeError:
 * the device's error with its code, timeouts with advice, aborted uploads with where they
 * stopped), plus what a page adds: a link that closed means the device went away, and a transfer
 * that met silence says what to check. Pure.
 */
import { describeError, faultFor } from '../../cli/failure.ts';
import { DfuError } from '../../client/dfu.ts';
import { SmpError, SmpTimeoutError } from '../../smp/errors.ts';
import { LinkError } from '../../transport/link-error.ts';

/** MGMT_ERR_ENOTSUP: the device does not serve that command or group. */
const ENOTSUP = 8;

export function problemText(error: unknown): string {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof LinkError && e.closed) {
      return `The connection to the device closed (${e.message.replace(/[.\s]*$/, '')}). Nothing more can be sent: connect again.`;
    }
  }
  const text = describeError(error);
  // A transfer that ran into silence says where it stopped; say what to check. (A bare timeout
  // gets the CLI's advice, and a DfuError's message already says what to do.)
  if (
    faultFor(error) === 'no-answer' &&
    !(error instanceof SmpTimeoutError) &&
    !(error instanceof DfuError)
  ) {
    return `${text.replace(/[.\s]*$/, '')}. The device stopped answering: check that it has power and is connected (a virtual board: power it on), then try again.`;
  }
  return text;
}

/** True when the device answered "not supported" (the group or command is not built in). */
export function isNotSupported(error: unknown): boolean {
  return error instanceof SmpError && error.group === undefined && error.rc === ENOTSUP;
}
