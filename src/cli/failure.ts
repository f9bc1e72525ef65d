/**
 * How any failure reaches a person: who it is down to (the shared `fault`), the exit code of the
 * documented scheme (0 ok, 1 local or usage problem, 2 the device said no, 3 no answer; 130 when
 * interrupted, as shells expect after Ctrl-C), the one sentence for stderr, and the JSON error
 * document `--json` prints on stdout with the numbers an expert or a script wants.
 */
import { UploadAbortedError } from '../client/upload.ts';
import { groupName } from '../groups/catalog.ts';
import { SmpError, SmpProtocolError, SmpTimeoutError } from '../smp/errors.ts';
import { SmpGroup } from '../smp/group-ids.ts';
import { type Fault, faultOf } from '../util/fault.ts';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_DEVICE_ERROR = 2;
export const EXIT_NO_ANSWER = 3;
export const EXIT_ABORTED = 130;

const EXIT_FOR_FAULT: Readonly<Record<Fault, number>> = {
  local: EXIT_FAILURE,
  device: EXIT_DEVICE_ERROR,
  'no-answer': EXIT_NO_ANSWER,
};

/** An error and the errors it wraps (`cause`), outermost first; bounded against cycles. */
function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  let current: unknown = err;
  while (current !== undefined && out.length < 8 && !out.includes(current)) {
    out.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return out;
}

export function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/** The fault of one error object, from its `fault` or, for the SMP layer's classes, its kind. */
function ownFault(err: unknown): Fault | undefined {
  const fault = faultOf(err);
  if (fault !== undefined) return fault;
  if (err instanceof SmpError || err instanceof SmpProtocolError) return 'device';
  if (err instanceof SmpTimeoutError) return 'no-answer';
  return undefined;
}

/**
 * Who `err` is down to: the outermost error that says so, else the first wrapped one that does
 * (an upload error caused by a timeout is a timeout); anything unclassified is local.
 */
export function faultFor(err: unknown): Fault {
  for (const link of chain(err)) {
    const fault = ownFault(link);
    if (fault !== undefined) return fault;
  }
  return 'local';
}

export function exitCodeFor(err: unknown): number {
  if (isAbort(err)) return EXIT_ABORTED;
  return EXIT_FOR_FAULT[faultFor(err)];
}

const GENERIC_NO_ANSWER_HINT = 'Check the connection and that the device runs an SMP server.';

/** The one sentence a user sees for `err`. */
export function describeError(err: unknown): string {
  // Ctrl-C in an upload: where the device stopped and that the same command resumes.
  if (err instanceof UploadAbortedError) return err.message;
  if (isAbort(err)) return 'Aborted.';
  let message = err instanceof Error ? err.message : String(err);
  if (err instanceof SmpError) message = `The device reported an error: ${message}`;
  if (err instanceof SmpTimeoutError) message = `${message}. ${GENERIC_NO_ANSWER_HINT}`;
  const advice = adviceFor(err);
  if (advice !== undefined) message = `${message.replace(/[.\s]*$/, '')}. ${advice}`;
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * What to do about a device error whose words alone leave a person stuck. The device's sentence
 * (with its numbers) stays as it is; the advice follows it.
 */
function adviceFor(err: unknown): string | undefined {
  for (const link of chain(err)) {
    if (!(link instanceof SmpError)) continue;
    // Zephyr's img_mgmt_slot_in_use (img_mgmt.c): the other slot is in use while it holds a
    // pending test image, or the image to revert to while the running one is unconfirmed.
    if (link.group === SmpGroup.Image && link.codeName === 'NO_FREE_SLOT') {
      return (
        'A test is probably under way (an image pending, or the running one unconfirmed while the other ' +
        'slot holds the image to revert to): confirm the running image (`zdfu image confirm`), or reset ' +
        'the device to finish the test, then try again.'
      );
    }
    return undefined;
  }
  return undefined;
}

/** What `--json` prints on stdout when a command fails. */
export interface ErrorDocument {
  readonly error: {
    readonly message: string;
    readonly exitCode: number;
    readonly fault: Fault;
    /** The device's legacy rc (MGMT_ERR), for an `rc` error. */
    readonly rc?: number;
    /** SMP group and its error code, for a v2 group error. */
    readonly group?: number;
    readonly groupName?: string;
    readonly groupRc?: number;
    /** Zephyr's name for the code, e.g. INVALID_IMAGE_TOO_LARGE or MGMT_ERR_ENOTSUP. */
    readonly name?: string;
    /** The device's verbose reason (`rsn`), when it sent one. */
    readonly reason?: string;
    /** The request the error belongs to, e.g. "image upload". */
    readonly command?: string;
    readonly timeoutMs?: number;
    readonly attempts?: number;
    /** Upload offset the device last acknowledged. */
    readonly offset?: number;
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The numbers of the first SMP error, timeout and upload offset found along the cause chain. */
function numbersOf(err: unknown): Partial<Mutable<ErrorDocument['error']>> {
  const out: Partial<Mutable<ErrorDocument['error']>> = {};
  for (const link of chain(err)) {
    if (link instanceof SmpError && out.name === undefined) {
      if (link.group === undefined) out.rc = link.rc;
      else {
        out.group = link.group;
        out.groupName = groupName(link.group);
        out.groupRc = link.rc;
      }
      out.name = link.codeName;
      if (link.reason !== undefined) out.reason = link.reason;
      if (link.command !== undefined) out.command ??= link.command;
    }
    if (link instanceof SmpTimeoutError && out.timeoutMs === undefined) {
      out.command ??= link.command;
      out.timeoutMs = link.timeoutMs;
      out.attempts = link.attempts;
    }
    if (link instanceof Error && out.offset === undefined && 'offset' in link) {
      const offset = (link as { offset: unknown }).offset;
      if (typeof offset === 'number') out.offset = offset;
    }
  }
  return out;
}

export function errorDocument(err: unknown, message = describeError(err)): ErrorDocument {
  const exitCode = exitCodeFor(err);
  return { error: { message, exitCode, fault: faultFor(err), ...numbersOf(err) } };
}
