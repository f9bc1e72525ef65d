/**
 * fs upload (SMP fs group 8, command 0, write) as a transfer kind, following Zephyr v3.5.0
 * `subsys/mgmt/mcumgr/grp/fs_mgmt/src/fs_mgmt.c` fs_mgmt_file_upload:
 * - request {name, off, data}, plus len (the file's total) in the first chunk only; the answer is
 *   {off}, the bytes the device's upload holds;
 * - off 0 opens the file and, when the chunk carries data, truncates it: a first chunk always
 *   starts the file afresh (so an answer to it can never be past the chunk's end);
 * - a chunk whose off is not the offset the device expects (within an upload: what it holds; for a
 *   new upload: the file's current size) is answered with err FILE_OFFSET_NOT_VALID and `len`,
 *   that expected offset, and the device drops its upload state. The session reads that as "the
 *   device is at len", which is what a lost chunk in the window needs (go back there) and what
 *   resume needs: a first request at off = total with no data asks the device for the file's size,
 *   and the upload carries on from there;
 * - once the state is dropped the device no longer knows the total, so it closes the file only
 *   after its idle time (CONFIG_MCUMGR_GRP_FS_FILE_AUTOMATIC_IDLE_CLOSE_TIME) or the next fs
 *   command, not at the last chunk.
 * - a first chunk sent again within one upload (after its answer was lost) is counted twice by
 *   fs_mgmt_file_upload (it truncates the file but adds to the offset it kept): the kind makes the
 *   device drop that state and sends the first chunk again (see send below).
 * - a first chunk the network delays past its timeout and delivers after its resend truncates the
 *   file again (fs_mgmt cannot tell it from a new upload): the device's offset then goes back and
 *   the session stops with a conflict rather than carry on;
 * Resume trusts that the device's file is the beginning of this one (an earlier upload of it that
 * was interrupted): fs_mgmt offers no check of that in the upload itself.
 * Pure: no Node imports.
 */

import { FsErr } from '../../groups/fs/group.ts';
import { fileUpload } from '../../groups/fs/models.ts';
import { SmpError } from '../../smp/errors.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { runTransfer } from './engine.ts';
import type { TransferErrors } from './errors.ts';
import {
  checkFileName,
  type FileTransferOptions,
  type FileTransferResult,
  fileTransferErrors,
  setUpRun,
} from './file-transfer.ts';
import type { SmpTransferLink } from './link.ts';
import { type SizedField, utf8Length } from './sizing.ts';
import { type UploadKind, UploadSession } from './upload-session.ts';

export interface FileUploadOptions extends FileTransferOptions {
  /**
   * Carry on an interrupted upload of this same file: the device's file is taken to hold the
   * beginning of `data`, and only the rest is sent. A device file longer than `data` cannot be
   * that, and the upload starts from the beginning (with a notice).
   */
  resume?: boolean;
  /** Upper bound on data bytes per chunk (the encoded request must still fit the link). */
  maxChunkSize?: number;
}

export type FileUploadResult = FileTransferResult;

/** The offset the device expects, when `err` is fs upload's offset mismatch that says so. */
function expectedOffset(err: unknown): number | undefined {
  if (!(err instanceof SmpError)) return undefined;
  if (err.group !== SmpGroup.Fs || err.rc !== FsErr.FILE_OFFSET_NOT_VALID) return undefined;
  const len = err.fields.len;
  return typeof len === 'number' && Number.isSafeInteger(len) && len >= 0 ? len : undefined;
}

/** The fs upload requests for `name`, `total` bytes long. */
export function fileUploadKind(
  link: SmpTransferLink,
  name: string,
  total: number,
  options: {
    maxChunk: number;
    errors: TransferErrors;
    onNotice?: ((text: string) => void) | undefined;
  },
): UploadKind {
  const nameField: SizedField = { key: 'name', kind: 'text', length: utf8Length(name) };
  return {
    what: 'file',
    // Any data at all: an empty file is one chunk with none.
    minFirstChunk: 1,
    maxChunk: options.maxChunk,
    firstChunkRestarts: true,
    fieldsAt: (off) => [
      nameField,
      { key: 'off', kind: 'uint', value: off },
      ...(off === 0 ? [{ key: 'len', kind: 'uint', value: total } as const] : []),
    ],
    async send(off, data, sendOptions) {
      try {
        const body = off === 0 ? { name, off, data, len: total } : { name, off, data };
        const answer = await link.request(fileUpload, body, sendOptions);
        if (off === 0 && data.length > 0 && answer.off > data.length) {
          // A first chunk sent again within one upload (its answer was lost): fs_mgmt truncates
          // the file but adds the chunk to the offset it already counted. A chunk at an offset it
          // cannot expect makes it drop that state (FILE_OFFSET_NOT_VALID); the first chunk then
          // starts a fresh upload.
          await link.request(fileUpload, { name, off: answer.off + 1 }, sendOptions).catch((err: unknown) => {
            if (expectedOffset(err) === undefined) throw err;
          });
          return { off: (await link.request(fileUpload, body, sendOptions)).off };
        }
        return { off: answer.off };
      } catch (err) {
        const expected = expectedOffset(err);
        if (expected === undefined) {
          if (!(err instanceof SmpError)) throw err;
          throw options.errors.failure(`The device cannot write ${name}: ${err.message}.`, off, {
            cause: err,
            fault: 'device',
          });
        }
        if (expected > total) {
          // Only a resume probe (off = total) or a foreign writer gets here: the file on the
          // device is longer than this one, so it is not an interrupted upload of it.
          options.onNotice?.(
            `${name} on the device is ${expected} bytes, longer than this ${total}-byte file: it is not an ` +
              'interrupted upload of it, so the upload starts from the beginning.',
          );
          return { off: 0 };
        }
        return { off: expected };
      }
    },
    conflict: (from, to, size) =>
      `The device's upload of ${name} went back from byte ${from} to ${to} of ${size}: another client ` +
      'wrote the file, or the device restarted. Stopped rather than fight over it; upload again once ' +
      'nothing else writes the file.',
  };
}

/**
 * Uploads `data` as the file `name` on the device behind `link` (fs upload), keeping a window of
 * chunks in flight; with `resume`, carries on from the bytes the device's file already holds.
 */
export async function uploadFile(
  link: SmpTransferLink,
  name: string,
  data: Uint8Array,
  options: FileUploadOptions = {},
): Promise<FileUploadResult> {
  checkFileName(name);
  const run = await setUpRun(link, options, 'upload');
  if (data.length === 0) {
    options.onNotice?.(
      `An empty upload creates ${name} but does not empty an existing file: Zephyr's fs_mgmt truncates ` +
        'only when the first chunk carries data. Delete the file first if it may exist.',
    );
  }
  const errors = fileTransferErrors('upload', name);
  const kind = fileUploadKind(link, name, data.length, {
    maxChunk: options.maxChunkSize ?? Number.POSITIVE_INFINITY,
    errors,
    onNotice: options.onNotice,
  });
  const session = new UploadSession(data, kind, errors, () => undefined, {
    start: options.resume === true && data.length > 0 ? data.length : 0,
  });
  const { result: _none, ...outcome } = await runTransfer(link, session, {
    ...run,
    errors,
    firstChunkNeeds: `the name (${utf8Length(name)} bytes), off and len${data.length > 0 ? ' plus at least one data byte' : ''}`,
  });
  return outcome;
}
