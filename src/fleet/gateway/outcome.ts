/**
 * The words hawkBit shows for each way an update ends. The first detail line starts with the kind
 * an operator filters on (installed, already installed, refused signature, reverted after reset,
 * device gone, device refused, rejected, download failed); the lines after it carry the numbers.
 *
 * "Already installed" is reported as closed/success: the device runs the assigned image, so
 * hawkBit should count the target as in sync (it then shows the distribution as installed), and a
 * rollout must not count an up-to-date device as a failure and stop its group. The detail line
 * says nothing was sent, so the history still tells the two cases apart. Pure module.
 */

import { describeError, faultFor, isAbort } from '../../cli/failure.ts';
import { DfuError, type DfuStep } from '../../client/dfu.ts';
import type { DdiFeedback } from '../ddi/client.ts';
import type { DevicePhase } from '../status.ts';

export interface Ending {
  feedback: DdiFeedback;
  phase: DevicePhase;
}

export function success(lines: string[]): Ending {
  return { feedback: { execution: 'closed', finished: 'success', details: lines }, phase: 'done' };
}

export function failure(lines: string[], phase: DevicePhase = 'failed'): Ending {
  return { feedback: { execution: 'closed', finished: 'failure', details: lines }, phase };
}

/** What the gateway saw of one dfu run, to say why it failed. */
export interface DfuAttempt {
  link: string;
  version: string;
  steps: readonly DfuStep['kind'][];
  /** Upload progress last seen (bytes the device confirmed, of total). */
  progress?: { sent: number; total: number };
  /** After a failure: whether the image is still in one of the device's slots (undefined: unknown). */
  inSlots?: boolean;
}

/** A dfu run that threw: refused, reverted, gone, or refused by the device, in words. */
export function dfuFailure(error: unknown, attempt: DfuAttempt): Ending {
  const why = describeError(error);
  const { steps, link, version } = attempt;
  const wasReset = steps.includes('reset');
  if (error instanceof DfuError && steps.includes('unhealthy')) {
    return failure([
      `reverted after reset: image ${version} was not healthy on ${link}, so it was not confirmed`,
      why,
    ]);
  }
  if (error instanceof DfuError && error.fault === 'device' && steps.includes('back')) {
    if (attempt.inSlots === false || (attempt.inSlots === undefined && /refused it/.test(why))) {
      return failure([
        `refused signature: MCUboot on ${link} refused image ${version} at boot (its signature or key did not validate) and kept the old image`,
        why,
      ]);
    }
    return failure([
      `reverted after reset: ${link} booted image ${version} but went back to the old one before it was confirmed`,
      why,
    ]);
  }
  if (faultFor(error) === 'no-answer' || isAbort(error)) {
    const where = wasReset
      ? `after the reset into image ${version}`
      : attempt.progress
        ? `during the upload, after ${attempt.progress.sent} of ${attempt.progress.total} bytes`
        : 'before the upload';
    const left = steps.includes('marked')
      ? 'the image is marked for a test boot, so MCUboot tries it at the next reset and reverts it unless it is confirmed'
      : 'nothing was installed (the image was not marked for a test boot)';
    return failure([`device gone: ${link} stopped answering ${where}; ${left}`, why], 'gone');
  }
  return failure([`device refused: ${link} did not take image ${version}`, why]);
}

/** The device could not be reached at all. */
export function unreachable(link: string, error: unknown): Ending {
  return failure(
    [`device gone: cannot reach ${link}, so nothing was installed`, describeError(error)],
    'gone',
  );
}
