/**
 * Image upload (SMP image group, command 1) as a transfer kind, following Zephyr's upload state
 * machine (img_mgmt.c img_mgmt_upload, zephyr_img_mgmt.c img_mgmt_upload_inspect):
 * - the first chunk (off = 0) carries len, sha (SHA-256 of the whole file, the resume key) and
 *   image (and upgrade when asked); later chunks carry off and data only;
 * - Zephyr keeps ONE session: a first chunk with another sha (another client) silently restarts it
 *   at 0 for that client, and every other client's chunk is answered with that session's offset;
 *   a finished session answers 0. So a device offset that goes back means another client took
 *   over (./upload-session.ts stops there);
 * - a first chunk whose sha matches the session the device holds is answered with that session's
 *   offset: the upload resumes there.
 * Pure: no Node imports.
 */

import type { imageUpload } from '../../groups/image/models.ts';
import type { RequestOf, ResponseOf } from '../../smp/command.ts';
import { imageUploadFields, MIN_FIRST_CHUNK } from '../upload-sizing.ts';
import type { SendChunkOptions } from './link.ts';
import type { UploadKind } from './upload-session.ts';

/** One upload request and its answer, as the image group's command model types them. */
export type UploadChunkRequest = RequestOf<typeof imageUpload>;
export type UploadChunkResponse = ResponseOf<typeof imageUpload>;

export interface ImageUploadParams {
  readonly total: number;
  /** SHA-256 of the whole file. */
  readonly sha: Uint8Array;
  /** Image number for multi-image devices. */
  readonly image: number;
  /** Ask the device to accept only a newer version. */
  readonly upgrade: boolean;
  /** Upper bound on data bytes per chunk. */
  readonly maxChunk: number;
  /** Timeout of the first chunk, which may erase the whole slot first. */
  readonly firstTimeoutMs: number;
}

/** The image upload's requests, sent with `send` (UploadLink.sendChunk). */
export function imageUploadKind(
  send: (request: UploadChunkRequest, options: SendChunkOptions) => Promise<UploadChunkResponse>,
  params: ImageUploadParams,
): UploadKind {
  const first = {
    len: params.total,
    shaLength: params.sha.length,
    image: params.image,
    upgrade: params.upgrade,
  };
  return {
    what: 'image',
    minFirstChunk: MIN_FIRST_CHUNK,
    maxChunk: params.maxChunk,
    firstTimeoutMs: params.firstTimeoutMs,
    firstChunkRestarts: false,
    // img_mgmt.c img_mgmt_upload (Zephyr v3.5.0): after the last byte it resets its upload state
    // (img_mgmt_reset_upload), and a chunk at any other offset than 0 is answered with off 0.
    answersZeroWhenDone: true,
    fieldsAt: (off) => imageUploadFields(off === 0 ? { off, first } : { off }),
    async send(off, data, options) {
      const request: UploadChunkRequest = { off, data };
      if (off === 0) {
        request.image = params.image;
        request.len = params.total;
        request.sha = params.sha;
        if (params.upgrade) request.upgrade = true;
      }
      const response = await send(request, options);
      return { off: response.off, match: response.match };
    },
    conflict: (from, to, total) =>
      `The device's upload went back from byte ${from} to ${to} of ${total}: ` +
      `${to === 0 ? 'another client finished or dropped an upload, or the device restarted' : 'another client started its own upload to this device'}. ` +
      'Stopped rather than fight over the slot; run the command again once the other upload is done.',
  };
}
