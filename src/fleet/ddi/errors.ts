/**
 * What can go wrong talking DDI to hawkBit, in words a user can act on plus the numbers an expert
 * wants (HTTP status, URL, hashes). One base class, DdiError, so callers catch one thing; the
 * subclasses carry the extra facts of a bad answer (DdiResponseError) or a corrupt download
 * (DdiHashError). Pure module.
 */
import type { Fault } from '../../util/fault.ts';
import type { DdiAuth } from './types.ts';

/**
 * Why a DDI exchange failed:
 * - 'config': zdfu was given something unusable (base URL, controller id, link) — nothing was sent;
 * - 'auth': hawkBit refused the credentials (401/403);
 * - 'not-found' (404), 'gone' (410: the action is closed), 'refused' (another 4xx);
 * - 'server': hawkBit failed (5xx);
 * - 'timeout', 'network' (no connection, reset), 'aborted' (the caller's signal);
 * - 'too-large': an answer or a download over its bound;
 * - 'bad-response': the answer is not the JSON DDI defines (DdiResponseError);
 * - 'corrupt': a download's size or sha256 differs from what hawkBit announced (DdiHashError).
 */
export type DdiErrorKind =
  | 'config'
  | 'auth'
  | 'not-found'
  | 'gone'
  | 'refused'
  | 'server'
  | 'timeout'
  | 'network'
  | 'aborted'
  | 'too-large'
  | 'bad-response'
  | 'corrupt';

export interface DdiErrorInfo {
  kind: DdiErrorKind;
  /** The HTTP status, when the server answered. */
  status?: number;
  /** The request's method and URL, when one was made. */
  method?: string;
  url?: string;
}

export class DdiError extends Error {
  override readonly name: string = 'DdiError';
  readonly kind: DdiErrorKind;
  readonly status: number | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;
  /** Whose failure it is (src/util/fault.ts): the config is ours, the rest is the server's side. */
  readonly fault: Fault;
  constructor(message: string, info: DdiErrorInfo, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = info.kind;
    this.status = info.status;
    this.method = info.method;
    this.url = info.url;
    this.fault =
      info.kind === 'config' || info.kind === 'auth' || info.kind === 'aborted'
        ? 'local'
        : info.kind === 'timeout' || info.kind === 'network' || info.kind === 'server'
          ? 'no-answer'
          : 'device';
  }
}

/** hawkBit's answer is not the JSON DDI defines; `field` is the JSON path of the first bad field. */
export class DdiResponseError extends DdiError {
  override readonly name: string = 'DdiResponseError';
  constructor(
    message: string,
    /** "deployment.chunks.0.artifacts.0.hashes.sha256"; "" when the whole body is wrong (not JSON). */
    readonly field: string,
    info: Omit<DdiErrorInfo, 'kind'>,
    options?: { cause?: unknown },
  ) {
    super(message, { ...info, kind: 'bad-response' }, options);
  }
}

/** A download whose size or sha256 is not what hawkBit announced. Its bytes are never handed out. */
export class DdiHashError extends DdiError {
  override readonly name: string = 'DdiHashError';
  constructor(
    message: string,
    readonly filename: string,
    /** What differs: the sha256 (hex) or the size (bytes, as text). */
    readonly what: 'sha256' | 'size',
    readonly expected: string,
    readonly actual: string,
    info: Omit<DdiErrorInfo, 'kind'>,
  ) {
    super(message, { ...info, kind: 'corrupt' });
  }
}

/** Words for hawkBit refusing the credentials (401/403), naming the auth kind and what to check. */
export function authWords(auth: DdiAuth, controllerId: string | undefined, sentCredentials: boolean): string {
  if (!sentCredentials && auth.kind !== 'none') {
    return 'the link points at another host than the base URL, so zdfu sent no credentials there';
  }
  switch (auth.kind) {
    case 'none':
      return 'no credentials were sent: the server wants a target token or a gateway token (anonymous DDI access is off)';
    case 'target':
      return `its target token was not accepted${controllerId === undefined ? '' : ` for controller "${controllerId}"`}: check the target's security token in hawkBit, and that target-token authentication is enabled`;
    case 'gateway':
      return 'the gateway token was not accepted: check the system config authentication.gatewaytoken.key in hawkBit, and that gateway-token authentication is enabled';
  }
}
