/**
 * Errors of the SMP layer. Device-reported errors (`SmpError`) carry the words a user needs and the
 * numbers (rc, group, group rc) an expert wants; the tables follow Zephyr's mcumgr enums.
 */
import { groupName, SmpGroup } from './group-ids.ts';

/** Legacy SMP-level result codes (Zephyr `enum mcumgr_err_t`), sent as `{"rc": n}`. */
export enum MgmtErr {
  EOK = 0,
  EUNKNOWN = 1,
  ENOMEM = 2,
  EINVAL = 3,
  ETIMEOUT = 4,
  ENOENT = 5,
  EBADSTATE = 6,
  EMSGSIZE = 7,
  ENOTSUP = 8,
  ECORRUPT = 9,
  EBUSY = 10,
  EACCESSDENIED = 11,
  UNSUPPORTED_TOO_OLD = 12,
  UNSUPPORTED_TOO_NEW = 13,
  EPERUSER = 256,
}

interface CodeInfo {
  readonly name: string;
  readonly words: string;
}

/** Names and plain-language meanings of the legacy `rc` codes. */
export const MGMT_ERRORS: Readonly<Record<number, CodeInfo>> = {
  0: { name: 'MGMT_ERR_EOK', words: 'success' },
  1: { name: 'MGMT_ERR_EUNKNOWN', words: 'unknown error' },
  2: { name: 'MGMT_ERR_ENOMEM', words: 'device is out of memory' },
  3: { name: 'MGMT_ERR_EINVAL', words: 'invalid request value' },
  4: { name: 'MGMT_ERR_ETIMEOUT', words: 'operation timed out on the device' },
  5: { name: 'MGMT_ERR_ENOENT', words: 'no such entry' },
  6: { name: 'MGMT_ERR_EBADSTATE', words: 'the current device state does not allow this command' },
  7: { name: 'MGMT_ERR_EMSGSIZE', words: 'response too large for the device buffer' },
  8: { name: 'MGMT_ERR_ENOTSUP', words: 'command not supported by the device' },
  9: { name: 'MGMT_ERR_ECORRUPT', words: 'corrupt request payload' },
  10: { name: 'MGMT_ERR_EBUSY', words: 'device is busy with another command' },
  11: { name: 'MGMT_ERR_EACCESSDENIED', words: 'access denied' },
  12: { name: 'MGMT_ERR_UNSUPPORTED_TOO_OLD', words: 'SMP protocol version too old for the device' },
  13: { name: 'MGMT_ERR_UNSUPPORTED_TOO_NEW', words: 'SMP protocol version too new for the device' },
};

function table(entries: ReadonlyArray<readonly [string, string]>): ReadonlyArray<CodeInfo> {
  return entries.map(([name, words]) => ({ name, words }));
}

const IMAGE_ERRORS = table([
  ['OK', 'success'],
  ['UNKNOWN', 'unknown image error'],
  ['FLASH_CONFIG_QUERY_FAIL', 'flash configuration query failed'],
  ['NO_IMAGE', 'no image in the slot'],
  ['NO_TLVS', 'image has no TLV area'],
  ['INVALID_TLV', 'image has an invalid TLV'],
  ['TLV_MULTIPLE_HASHES_FOUND', 'image has more than one hash TLV'],
  ['TLV_INVALID_SIZE', 'image TLV has an invalid size'],
  ['HASH_NOT_FOUND', 'no image with that hash'],
  ['NO_FREE_SLOT', 'no free slot (the slot is in use)'],
  ['FLASH_OPEN_FAILED', 'could not open the flash area'],
  ['FLASH_READ_FAILED', 'flash read failed'],
  ['FLASH_WRITE_FAILED', 'flash write failed'],
  ['FLASH_ERASE_FAILED', 'flash erase failed'],
  ['INVALID_SLOT', 'invalid slot'],
  ['NO_FREE_MEMORY', 'device is out of memory'],
  ['FLASH_CONTEXT_ALREADY_SET', 'flash context already set'],
  ['FLASH_CONTEXT_NOT_SET', 'flash context not set'],
  ['FLASH_AREA_DEVICE_NULL', 'flash area has no device'],
  ['INVALID_PAGE_OFFSET', 'invalid flash page offset'],
  ['INVALID_OFFSET', 'upload offset missing'],
  ['INVALID_LENGTH', 'upload length missing in the first chunk'],
  ['INVALID_IMAGE_HEADER', 'first chunk too short to hold the image header'],
  ['INVALID_IMAGE_HEADER_MAGIC', 'not an MCUboot image (bad header magic)'],
  ['INVALID_HASH', 'invalid or missing image hash'],
  ['INVALID_FLASH_ADDRESS', 'invalid flash address'],
  ['VERSION_GET_FAILED', 'could not read the running image version'],
  ['CURRENT_VERSION_IS_NEWER', 'the running image is not older than the upload'],
  ['IMAGE_ALREADY_PENDING', 'another image is already pending'],
  ['INVALID_IMAGE_VECTOR_TABLE', 'image has an invalid vector table'],
  ['INVALID_IMAGE_TOO_LARGE', 'image too large for the slot'],
  ['INVALID_IMAGE_DATA_OVERRUN', 'upload data runs past the announced length'],
  ['IMAGE_CONFIRMATION_DENIED', 'image confirmation denied'],
  ['IMAGE_SETTING_TEST_TO_ACTIVE_DENIED', 'the running image cannot be marked for test'],
  ['ACTIVE_SLOT_NOT_KNOWN', 'active slot not known'],
]);

const OS_ERRORS = table([
  ['OK', 'success'],
  ['UNKNOWN', 'unknown OS error'],
  ['INVALID_FORMAT', 'invalid format string'],
  ['QUERY_YIELDS_NO_ANSWER', 'the query has no answer'],
  ['RTC_NOT_SET', 'the real-time clock is not set'],
  ['RTC_COMMAND_FAILED', 'real-time clock command failed'],
  ['QUERY_RESPONSE_VALUE_NOT_VALID', 'query response value not valid'],
  ['HEAP_STATS_FETCH_FAILED', 'could not fetch heap statistics'],
]);

const STAT_ERRORS = table([
  ['OK', 'success'],
  ['UNKNOWN', 'unknown statistics error'],
  ['INVALID_GROUP', 'no such statistics group'],
  ['INVALID_STAT_NAME', 'no such statistics group name'],
  ['INVALID_STAT_SIZE', 'invalid statistic size'],
  ['WALK_ABORTED', 'statistics walk aborted'],
]);

const SETTINGS_ERRORS = table([
  ['OK', 'success'],
  ['UNKNOWN', 'unknown settings error'],
  ['KEY_TOO_LONG', 'settings key too long'],
  ['KEY_NOT_FOUND', 'settings key not found'],
  ['READ_NOT_SUPPORTED', 'settings read not supported'],
  ['ROOT_KEY_NOT_FOUND', 'settings root key not found'],
  ['WRITE_NOT_SUPPORTED', 'settings write not supported'],
  ['DELETE_NOT_SUPPORTED', 'settings delete not supported'],
  ['SAVE_NOT_SUPPORTED', 'settings save not supported'],
]);

const FS_ERRORS = table([
  ['OK', 'success'],
  ['UNKNOWN', 'unknown file-system error'],
  ['FILE_INVALID_NAME', 'invalid file name'],
  ['FILE_NOT_FOUND', 'file not found'],
  ['FILE_IS_DIRECTORY', 'path is a directory'],
  ['FILE_OPEN_FAILED', 'could not open the file'],
  ['FILE_SEEK_FAILED', 'file seek failed'],
  ['FILE_READ_FAILED', 'file read failed'],
  ['FILE_TRUNCATE_FAILED', 'file truncate failed'],
  ['FILE_DELETE_FAILED', 'file delete failed'],
  ['FILE_WRITE_FAILED', 'file write failed'],
  ['FILE_OFFSET_NOT_VALID', 'file offset not valid'],
  ['FILE_OFFSET_LARGER_THAN_FILE', 'file offset larger than the file'],
  ['CHECKSUM_HASH_NOT_FOUND', 'checksum or hash type not supported'],
  ['MOUNT_POINT_NOT_FOUND', 'mount point not found'],
  ['READ_ONLY_FILESYSTEM', 'file system is read-only'],
  ['FILE_EMPTY', 'file is empty'],
]);

const SHELL_ERRORS = table([
  ['OK', 'success'],
  ['UNKNOWN', 'unknown shell error'],
  ['COMMAND_TOO_LONG', 'shell command too long'],
  ['EMPTY_COMMAND', 'empty shell command'],
]);

const ENUM_ERRORS = table([
  ['OK', 'success'],
  ['UNKNOWN', 'unknown enumeration error'],
  ['TOO_MANY_GROUP_ENTRIES', 'too many group entries'],
  ['INSUFFICIENT_HEAP_FOR_ENTRIES', 'not enough heap for the entries'],
  ['INDEX_TOO_LARGE', 'group index too large'],
]);

const ZEPHYR_BASIC_ERRORS = table([
  ['OK', 'success'],
  ['UNKNOWN', 'unknown error'],
  ['FLASH_OPEN_FAILED', 'could not open the storage flash area'],
  ['FLASH_CONFIG_QUERY_FAIL', 'storage flash configuration query failed'],
  ['FLASH_ERASE_FAILED', 'storage flash erase failed'],
]);

/** Per-group v2 error code tables (`err.rc`), indexed by code. */
export const GROUP_ERRORS: Readonly<Record<number, ReadonlyArray<CodeInfo>>> = {
  [SmpGroup.Os]: OS_ERRORS,
  [SmpGroup.Image]: IMAGE_ERRORS,
  [SmpGroup.Stat]: STAT_ERRORS,
  [SmpGroup.Settings]: SETTINGS_ERRORS,
  [SmpGroup.Fs]: FS_ERRORS,
  [SmpGroup.Shell]: SHELL_ERRORS,
  [SmpGroup.Enum]: ENUM_ERRORS,
  [SmpGroup.ZephyrBasic]: ZEPHYR_BASIC_ERRORS,
};

/**
 * How a server answers a v1 request whose handler reported a v2 group error: group → (group rc →
 * MGMT_ERR). Codes not listed, and groups without a translator, become EUNKNOWN (Zephyr smp.c).
 */
export const GROUP_ERROR_TO_V1: Readonly<Record<number, Readonly<Record<number, MgmtErr>>>> = {
  [SmpGroup.Os]: { 2: MgmtErr.EINVAL, 3: MgmtErr.ENOENT, 4: MgmtErr.ENOENT },
  [SmpGroup.Image]: {
    3: MgmtErr.ENOENT,
    4: MgmtErr.ENOENT,
    9: MgmtErr.EBADSTATE,
    27: MgmtErr.EBADSTATE,
    28: MgmtErr.EBADSTATE,
    15: MgmtErr.ENOMEM,
    14: MgmtErr.EINVAL,
    19: MgmtErr.EINVAL,
    20: MgmtErr.EINVAL,
    21: MgmtErr.EINVAL,
    22: MgmtErr.EINVAL,
    24: MgmtErr.EINVAL,
    25: MgmtErr.EINVAL,
  },
  [SmpGroup.Stat]: { 2: MgmtErr.ENOENT, 3: MgmtErr.ENOENT, 4: MgmtErr.EINVAL },
  [SmpGroup.Settings]: { 2: MgmtErr.EINVAL, 3: MgmtErr.ENOENT, 4: MgmtErr.ENOENT },
  [SmpGroup.Fs]: { 2: MgmtErr.EINVAL, 13: MgmtErr.EINVAL, 3: MgmtErr.ENOENT, 14: MgmtErr.ENOENT },
  [SmpGroup.Shell]: { 2: MgmtErr.EINVAL, 3: MgmtErr.EINVAL },
};

/** The legacy `rc` a v1 client receives for a group error (group rc 0 stays EOK). */
export function translateGroupErrorToV1(group: number, rc: number): MgmtErr {
  if (rc === 0) return MgmtErr.EOK;
  return GROUP_ERROR_TO_V1[group]?.[rc] ?? MgmtErr.EUNKNOWN;
}

export function mgmtErrorName(rc: number): string {
  if (rc >= MgmtErr.EPERUSER) return `MGMT_ERR_EPERUSER+${rc - MgmtErr.EPERUSER}`;
  return MGMT_ERRORS[rc]?.name ?? `MGMT_ERR_${rc}`;
}

export function groupErrorName(group: number, rc: number): string {
  return GROUP_ERRORS[group]?.[rc]?.name ?? `ERR_${rc}`;
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
    GROUP_ERRORS[detail.group]?.[detail.groupRc]?.words ?? `unrecognised ${groupName(detail.group)} error`;
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
