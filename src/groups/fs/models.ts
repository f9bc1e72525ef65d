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
 * Pure: no Node imports.
 */
import { defineCommand } from '../../smp/command.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { bytes, optional, text, uint, withDefault } from '../../smp/schema.ts';

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
