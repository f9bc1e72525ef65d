/**
 * File-system management group (8): the command models, following Zephyr v3.5.0
 * `subsys/mgmt/mcumgr/grp/fs_mgmt/src/fs_mgmt.c` (fs_mgmt_file_download, fs_mgmt_file_upload).
 * Command 0 is both: read downloads a chunk, write uploads one.
 * - Download: request {name, off}; the answer carries the request's off, the data read there (as
 *   much as one SMP buffer holds, MCUMGR_GRP_FS_DL_CHUNK_SIZE) and, only when off is 0, the
 *   file's total len.
 * - Upload: request {name, off, data, len}; len is required on the first chunk (off 0, which
 *   creates or truncates the file); the answer is the offset the device expects next. Zephyr
 *   decodes every key as optional: no data is a zero-byte chunk. A chunk at another offset than
 *   the device expects is answered with err FILE_OFFSET_NOT_VALID and `len`, the expected offset
 *   (SmpError.fields carries it).
 * Commands 1-4: file status, hash/checksum (crc32 and sha256, over an optional off/len range),
 * the supported hash/checksum types, and closing the file a transfer left open.
 * Pure: no Node imports.
 */
import { defineCommand, type ResponseOf, type SmpCommand } from '../../smp/command.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import {
  bytes,
  describeValue,
  type Field,
  mapOf,
  optional,
  SchemaError,
  struct,
  text,
  uint,
  withDefault,
} from '../../smp/schema.ts';

/** fs_mgmt.h FS_MGMT_ID_*. */
export const FsCommandId = {
  File: 0,
  Status: 1,
  HashChecksum: 2,
  SupportedHashChecksum: 3,
  OpenedFile: 4,
} as const;

export const fileDownload = defineCommand({
  group: SmpGroup.Fs,
  id: 0,
  op: 'read',
  name: 'fs download',
  request: { name: text(), off: uint() },
  response: { off: uint(), data: bytes(), len: optional(uint()) },
});

export const fileUpload = defineCommand({
  group: SmpGroup.Fs,
  id: 0,
  op: 'write',
  name: 'fs upload',
  request: {
    name: text(),
    off: uint(),
    data: withDefault(bytes(), new Uint8Array(0)),
    len: optional(uint()),
  },
  response: { off: uint() },
});

export type FileDownloadResponse = ResponseOf<typeof fileDownload>;
export type FileUploadResponse = ResponseOf<typeof fileUpload>;

/** File status (id 1, read): the file's size. */
export const fileStatus = defineCommand({
  group: SmpGroup.Fs,
  id: FsCommandId.Status,
  op: 'read',
  name: 'fs file status',
  request: { name: text() },
  response: { len: uint() },
});
export type FileStatusResponse = ResponseOf<typeof fileStatus>;

/**
 * A hash/checksum result: a number for checksums (crc32, `format` 0), a byte string for hashes
 * (sha256, `format` 1), as fs_mgmt_file_hash_checksum encodes `output`.
 */
function numberOrBytes(): Field<number | Uint8Array> {
  const expected = 'an unsigned integer or a byte string';
  const ok = (value: unknown): value is number | Uint8Array =>
    value instanceof Uint8Array || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0);
  return {
    expected,
    decode(value, path) {
      if (!ok(value)) throw new SchemaError(path, 'type', expected, describeValue(value));
      return value;
    },
    encode(value, path) {
      if (!ok(value)) throw new SchemaError(path, 'type', expected, typeof value);
      return value;
    },
  };
}

/**
 * File hash/checksum (id 2, read): `type` defaults to crc32 when the device has it; `off` and
 * `len` select a range (all of the rest of the file by default). The answer names the type, the
 * offset (only when not 0), the bytes covered and the output.
 */
export const fileHashChecksum = defineCommand({
  group: SmpGroup.Fs,
  id: FsCommandId.HashChecksum,
  op: 'read',
  name: 'fs file hash/checksum',
  request: { name: text(), type: optional(text()), off: optional(uint()), len: optional(uint()) },
  response: { type: text(), off: optional(uint()), len: uint(), output: numberOrBytes() },
});
export type FileHashChecksumResponse = ResponseOf<typeof fileHashChecksum>;

/** One supported type: `format` 0 = number (checksum), 1 = byte string (hash); `size` in bytes. */
export const hashChecksumType = struct({ format: uint(), size: uint() });

/** Supported hash/checksum types (id 3, read). */
export const supportedHashChecksum = defineCommand({
  group: SmpGroup.Fs,
  id: FsCommandId.SupportedHashChecksum,
  op: 'read',
  name: 'fs supported hash/checksum types',
  request: {},
  response: { types: mapOf(hashChecksumType) },
});
export type SupportedHashChecksumResponse = ResponseOf<typeof supportedHashChecksum>;

/** Close the file an upload or download left open (id 4, write). */
export const closeOpenedFile = defineCommand({
  group: SmpGroup.Fs,
  id: FsCommandId.OpenedFile,
  op: 'write',
  name: 'fs close opened file',
  request: {},
  response: {},
});

export const fsCommands: ReadonlyArray<SmpCommand> = [
  fileDownload,
  fileUpload,
  fileStatus,
  fileHashChecksum,
  supportedHashChecksum,
  closeOpenedFile,
];
