/**
 * Errors of the hawkBit Management API client, in words a user can act on plus the numbers an
 * expert wants (HTTP status, method and path, hawkBit's own errorCode). Pure module.
 */

/** What a refused or failed Management API call looked like. */
export interface MgmtErrorDetails {
  method: string;
  /** Path under the server's URL, e.g. `/rest/v1/targets/sim-1`. */
  path: string;
  /** HTTP status, absent when no answer came (network error, time-out). */
  status?: number;
  /** hawkBit's error code from the body, e.g. `hawkbit.server.error.repo.entitiyNotFound`. */
  errorCode?: string;
  /** hawkBit's own message from the body. */
  serverMessage?: string;
}

/** A Management API call that hawkBit refused, or that got no answer. */
export class MgmtError extends Error {
  override readonly name = 'MgmtError';
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly errorCode: string | undefined;
  readonly serverMessage: string | undefined;

  constructor(message: string, details: MgmtErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.serverMessage = details.serverMessage;
  }
}

/** hawkBit answered, but not with the JSON shape this client knows (names the field). */
export class MgmtResponseError extends Error {
  override readonly name = 'MgmtResponseError';
  readonly method: string;
  readonly path: string;

  constructor(message: string, details: { method: string; path: string }, options?: { cause?: unknown }) {
    super(message, options);
    this.method = details.method;
    this.path = details.path;
  }
}

/** A bounded wait on hawkBit (a rollout getting ready, finishing) ran out of time. */
export class MgmtWaitError extends Error {
  override readonly name = 'MgmtWaitError';
  /** The last state seen, e.g. the rollout's status. */
  readonly lastSeen: string;
  readonly waitedMs: number;

  constructor(message: string, lastSeen: string, waitedMs: number) {
    super(message);
    this.lastSeen = lastSeen;
    this.waitedMs = waitedMs;
  }
}

/** The words for an HTTP refusal; `what` names the call, e.g. "create target sim-1". */
export function describeRefusal(what: string, baseUrl: string, details: MgmtErrorDetails): string {
  const at = `${details.method} ${details.path} → ${details.status}`;
  const said = details.serverMessage ? `: ${details.serverMessage}` : '';
  const code = details.errorCode ? ` [${details.errorCode}]` : '';
  switch (details.status) {
    case 401:
      return `hawkBit at ${baseUrl} refused the Management API credentials (${at}): check the user name and password`;
    case 403:
      return `hawkBit at ${baseUrl} does not allow this user to ${what} (${at})${said}`;
    case 404:
      return `hawkBit at ${baseUrl} has nothing to ${what} (${at})${said}${code}`;
    case 409:
      return `hawkBit at ${baseUrl} cannot ${what}: it already exists or conflicts (${at})${said}${code}`;
    case 413:
      return `hawkBit at ${baseUrl} refused to ${what}: too large for its upload limit (${at})${said}`;
    default:
      return `hawkBit at ${baseUrl} refused to ${what} (${at})${said}${code}`;
  }
}
