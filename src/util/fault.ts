/**
 * Who a failure is down to, so every front end (CLI exit codes, JSON error documents, the
 * dashboard) classifies errors the same way without knowing each error class:
 * - 'local': the user's input or this machine (bad file, bad option, port cannot be opened);
 * - 'device': the device answered and said no, or showed it is not healthy (an SMP error, a
 *   bootloader refusal, match=false);
 * - 'no-answer': the device did not answer, or went away.
 * Pure: no Node imports.
 */
export type Fault = 'local' | 'device' | 'no-answer';

/** An error that says which kind of failure it is. */
export interface FaultClassified {
  readonly fault: Fault;
}

export function faultOf(err: unknown): Fault | undefined {
  if (typeof err !== 'object' || err === null || !('fault' in err)) return undefined;
  const fault = (err as { fault: unknown }).fault;
  return fault === 'local' || fault === 'device' || fault === 'no-answer' ? fault : undefined;
}
