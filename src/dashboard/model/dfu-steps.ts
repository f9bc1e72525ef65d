/**
 * The dfu flow's steps (src/client/dfu.ts DfuStep) in words for the update log, with a tone the
 * page colours by. Pure.
 */
import type { DfuMode, DfuStep } from '../../client/dfu.ts';
import { formatBytes, formatDuration, formatRate } from './format.ts';

export type StepTone = 'info' | 'good' | 'warn' | 'bad';

export interface StepLine {
  readonly text: string;
  readonly tone: StepTone;
}

export function describeDfuStep(step: DfuStep): StepLine {
  switch (step.kind) {
    case 'already-running':
      return { text: `The device already runs version ${step.version}: nothing to upload.`, tone: 'good' };
    case 'already-uploaded':
      return {
        text: `The device already holds version ${step.version} in its slot (it checked the file's hash): nothing sent again.`,
        tone: 'info',
      };
    case 'uploaded': {
      const r = step.result;
      const seconds = r.elapsedMs / 1000;
      const rate = seconds > 0 ? r.sentBytes / seconds : undefined;
      const resumed = r.resumedFrom > 0 ? `, resumed at ${formatBytes(r.resumedFrom)}` : '';
      return {
        text: `Uploaded ${formatBytes(r.total)} in ${formatDuration(r.elapsedMs)} (${formatRate(rate)}${resumed}; ${r.requests} requests, window ${r.window}).`,
        tone: 'info',
      };
    }
    case 'marked':
      return {
        text: step.permanent
          ? 'Marked the new image permanent: MCUboot installs it for good at the next reset.'
          : 'Marked the new image for a test boot: MCUboot swaps it in at the next reset.',
        tone: 'info',
      };
    case 'reset':
      return { text: 'Reset the device; MCUboot is checking and installing the image…', tone: 'info' };
    case 'back':
      return {
        text: `The device answers again, ${formatDuration(step.afterMs)} after the reset.`,
        tone: 'info',
      };
    case 'watching': {
      const checks = step.checks.length > 0 ? ` and running ${step.checks.join(', ')}` : '';
      return {
        text: `Watching the new image for ${formatDuration(step.settleMs)}${checks} before confirming it…`,
        tone: 'info',
      };
    }
    case 'healthy':
      return {
        text: `The new image kept running for ${formatDuration(step.settledMs)}: healthy.`,
        tone: 'good',
      };
    case 'unhealthy':
      return { text: `The new image is not healthy: ${step.reason}.`, tone: 'bad' };
    case 'reverting':
      return { text: 'Resetting so MCUboot goes back to the previous image…', tone: 'warn' };
    case 'reverted':
      return { text: `MCUboot went back: version ${step.version} runs again.`, tone: 'warn' };
    case 'retry':
      return { text: `${step.reason}: uploading the file afresh once.`, tone: 'warn' };
    case 'confirmed':
      return { text: 'Confirmed: the new image stays.', tone: 'good' };
  }
}

/** What each mode does, for the mode picker. */
export const DFU_MODES: ReadonlyArray<{ mode: DfuMode; label: string; help: string }> = [
  {
    mode: 'test-and-confirm',
    label: 'Test, then confirm',
    help: 'MCUboot boots the image on trial; once it keeps running it is confirmed. A crash reverts it.',
  },
  {
    mode: 'test-only',
    label: 'Test only',
    help: 'Boots the image on trial and leaves it unconfirmed: the next reset goes back.',
  },
  {
    mode: 'permanent',
    label: 'Permanent',
    help: 'Installs the image for good at once: no way back if it fails.',
  },
];
