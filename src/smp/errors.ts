/**
 * Errors of the SMP layer. Device-reported errors (`SmpError`) carry the words a user needs and the
 * numbers (rc, group, group rc) an expert wants; the tables follow Zephyr's mcumgr enums.
 */
import { groupDefinition, groupName } from '../groups/catalog.ts';
import { SmpGroup } from './group-ids.ts';
import { MGMT_ERRORS, MgmtErr } from './mgmt-err.ts';

export { type CodeInfo, MGMT_ERRORS, MgmtErr } from './mgmt-err.ts';

/** The legacy `rc` a v1 client receives for a group error (group rc 0 stays EOK). */
export function translateGroupErrorToV1(group: number, rc: number): MgmtErr {
  if (rc === 0) return MgmtErr.EOK;
  return groupDefinition(group)?.toV1[rc] ?? MgmtErr.EUNKNOWN;
}

export function mgmtErrorName(rc: number): string {
  if (rc >= MgmtErr.EPERUSER) return `MGMT_ERR_EPERUSER+${rc - MgmtErr.EPERUSER}`;
  return MGMT_ERRORS[rc]?.name ?? `MGMT_ERR_${rc}`;
}

export function groupErrorName(group: number, rc: number): string {
  return groupDefinition(group)?.errors[rc]?.name ?? `ERR_${rc}`;
}

/** What a device-reported error looked like on the wire. */
export type SmpErrorDetail =
  | { readonly kind: 'rc'; readonly rc: number; readonly reason?: string }
  | { readonly kind: 'group'; readonly group: number; readonly groupRc: number; readonly reason?: string };

/** Names the request an error belongs to, for messages ("image upload: ..."). */
export interface SmpErrorContext {
  readonly command?: string;
  /** The request's group, to read errors a Zephyr group files under another group's id. */
  readonly group?: number;
}

function sentenceFor(detail: SmpErrorDetail): { words: string; name: string; sentence: string } {
  if (detail.kind === 'rc') {
    const name = mgmtErrorName(detail.rc);
    const words =
      MGMT_ERRORS[detail.rc]?.words ??
      (detail.rc >= MgmtErr.EPERUSER ? 'application-defined error' : 'unrecognised error code');
    return { words, name, sentence: `${words} (${name}, rc ${detail.rc})` };
  }
  const name = groupErrorName(detail.group, detail.groupRc);
  const words =
    groupDefinition(detail.group)?.errors[detail.groupRc]?.words ??
    `unrecognised ${groupName(detail.group)} error`;
  return { words, name, sentence: `${words} (${name}, group ${detail.group} rc ${detail.groupRc})` };
}

/** An error the device reported in its response (`rc` or `err`). */
export class SmpError extends Error {
  override readonly name = 'SmpError';
  readonly detail: SmpErrorDetail;
  /** Plain words, e.g. "image too large for the slot". */
  readonly words: string;
  /** Zephyr's name for the code, e.g. "INVALID_IMAGE_TOO_LARGE" or "MGMT_ERR_ENOTSUP". */
  readonly codeName: string;
  /** Legacy rc (v1 form) or, for group errors, the group rc. */
  readonly rc: number;
  /** Set for v2 group errors. */
  readonly group: number | undefined;
  /** Verbose reason text (`rsn`) when the device sent one. */
  readonly reason: string | undefined;
  readonly command: string | undefined;
  /**
   * Other keys the response carried next to the error, e.g. `len` beside fs upload's
   * FILE_OFFSET_NOT_VALID (Zephyr fs_mgmt.c): what the client needs to carry on.
   */
  readonly fields: Readonly<Record<string, unknown>>;

  constructor(
    detail: SmpErrorDetail,
    context: SmpErrorContext = {},
    fields: Readonly<Record<string, unknown>> = {},
  ) {
    const { words, name, sentence } = sentenceFor(detail);
    const withReason = detail.reason ? `${sentence}: ${detail.reason}` : sentence;
    super(context.command ? `${context.command}: ${withReason}` : withReason);
    this.detail = detail;
    this.words = words;
    this.codeName = name;
    this.rc = detail.kind === 'rc' ? detail.rc : detail.groupRc;
    this.group = detail.kind === 'group' ? detail.group : undefined;
    this.reason = detail.reason;
    this.command = context.command;
    this.fields = fields;
  }
}

/** No matching response arrived in time (after all retries). */
export class SmpTimeoutError extends Error {
  override readonly name = 'SmpTimeoutError';
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
    readonly attempts: number,
    readonly sequence: number,
  ) {
    super(
      `${command}: no response from the device after ${attempts} attempt${attempts === 1 ? '' : 's'} ` +
        `of ${timeoutMs} ms (seq ${sequence})`,
    );
  }
}

/** The peer sent something that is not valid SMP (bad header, bad CBOR, wrong response shape). */
export class SmpProtocolError extends Error {
  override readonly name = 'SmpProtocolError';
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

function isUint(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/**
 * The error a response body carries, or undefined when it is a success. A `err` map (v2) wins; a
 * nonzero `rc` is the legacy form; `rc: 0` (LEGACY_RC builds) means success.
 */
export function errorFromResponse(body: unknown, context: SmpErrorContext = {}): SmpError | undefined {
  if (!isPlainMap(body)) return undefined;
  const reason = typeof body.rsn === 'string' ? body.rsn : undefined;
  const { err: _err, rc: _rc, rsn: _rsn, ...fields } = body;
  const err = body.err;
  if (err !== undefined) {
    if (!isPlainMap(err) || !isUint(err.group) || !isUint(err.rc)) {
      throw new SmpProtocolError(`${context.command ?? 'response'}: malformed "err" map in the response`);
    }
    if (err.rc !== 0) {
      // Zephyr's stat_mgmt.c (v3.3 until PR #104682, 2026) files its own errors under
      // ZEPHYR_MGMT_GRP_BASIC (63): read them as the stat group's, which they are.
      const group =
        context.group === SmpGroup.Stat && err.group === SmpGroup.ZephyrBasic ? SmpGroup.Stat : err.group;
      return new SmpError({ kind: 'group', group, groupRc: err.rc, reason }, context, fields);
    }
  }
  const rc = body.rc;
  if (rc !== undefined) {
    if (typeof rc !== 'number' || !Number.isInteger(rc)) {
      throw new SmpProtocolError(`${context.command ?? 'response'}: "rc" in the response is not an integer`);
    }
    if (rc !== 0) return new SmpError({ kind: 'rc', rc, reason }, context, fields);
  }
  return undefined;
}
