/**
 * Image upload (SMP image group, command 1): the public face of the chunked-transfer engine for
 * MCUboot images. The engine (./transfer/engine.ts) keeps the window, retries, timeouts, request
 * sizing and progress; the image kind (./transfer/image-upload.ts, after Zephyr img_mgmt.c) says
 * what a chunk holds; the upload session (./transfer/upload-session.ts) reads the device's
 * offsets (resume, rewind, another client taking over). This module checks the file first, and
 * reports success only when the device acknowledged off == len, did not say `match: false`, and
 * its image list shows this file's image.
 * Pure: no Node imports.
 */

import { ImageFormatError } from '../image/errors.ts';
import { type McubootImage, parseImage } from '../image/format.ts';
import { formatVersion } from '../image/version.ts';
import {
  runTransfer,
  type TransferCounts,
  type TransferOptions,
  type TransferProgress,
} from './transfer/engine.ts';
import { TransferError, type TransferErrors } from './transfer/errors.ts';
import {
  imageUploadKind,
  type UploadChunkRequest,
  type UploadChunkResponse,
} from './transfer/image-upload.ts';
import { defaultWindow, type SendChunkOptions, type TransferLink } from './transfer/link.ts';
import { UploadSession } from './transfer/upload-session.ts';
import { deviceRequestLimit, MIN_FIRST_CHUNK, requestLimit } from './upload-sizing.ts';

export type { UploadChunkRequest, UploadChunkResponse } from './transfer/image-upload.ts';
export { type DeviceBufferParams, defaultWindow, type SendChunkOptions } from './transfer/link.ts';

/** One row of the device's image list, as far as the upload check needs it. */
export interface SlotImage {
  readonly image?: number;
  readonly slot: number;
  readonly version: string;
  readonly hash: Uint8Array;
}

/** What the image upload needs from a connected device; DeviceClient.uploadLink() provides it. */
export interface UploadLink extends TransferLink {
  /** Sends one upload request (no retries of its own) and resolves with the device's reply. */
  sendChunk(request: UploadChunkRequest, options: SendChunkOptions): Promise<UploadChunkResponse>;
  /** The device's image list, or undefined when it cannot list images. */
  slotImages?(signal?: AbortSignal): Promise<readonly SlotImage[] | undefined>;
}

/** Upload progress (the engine's, under the name callers know). */
export type UploadProgress = TransferProgress;

export interface UploadOptions extends TransferOptions {
  /** Send the file even when it is not a valid MCUboot image. */
  force?: boolean;
  /** Image number for multi-image devices (SMP `image`), default 0. */
  image?: number;
  /** Ask the device to accept only a newer version (SMP `upgrade`). */
  upgrade?: boolean;
  /** Timeout of the first chunk, which may erase the whole slot first; default 40 s. */
  firstChunkTimeoutMs?: number;
  /** Upper bound on data bytes per chunk (the encoded request must still fit the link). */
  maxChunkSize?: number;
}

/**
 * What an image upload reports. `resumedFrom` equals `total` when the device already held the
 * whole file; `sentBytes` is what this run stored.
 */
export interface UploadResult extends TransferCounts {
  /** What the file says about itself; undefined for a forced non-image. */
  readonly version: string | undefined;
  /** The image hash (SHA256 TLV) that `image list` will show and `image test` takes. */
  readonly imageHash: Uint8Array | undefined;
  /** SHA-256 of the whole file (the `sha` sent to the device). */
  readonly sha256: Uint8Array;
  /** The device's verdict on the final chunk; undefined when it does not check. */
  readonly match: boolean | undefined;
}

export class UploadError extends TransferError {
  override readonly name: string = 'UploadError';
}

/** The file is not an MCUboot image and the upload was not forced. */
export class NotAnImageError extends UploadError {
  override readonly name = 'NotAnImageError';
  constructor(readonly detail: ImageFormatError) {
    super(`Refusing to upload: the file is not a valid MCUboot image (${detail.message}).`, 0, {
      cause: detail,
      fault: 'local',
    });
  }
}

/** The device's upload offset went back: another client started its own upload. */
export class UploadConflictError extends UploadError {
  override readonly name = 'UploadConflictError';
}

/**
 * The upload was cancelled (Ctrl-C). Named AbortError so every front end treats it as a
 * cancellation; the message says where the device stopped and that the same upload resumes.
 */
export class UploadAbortedError extends Error {
  override readonly name = 'AbortError';
  constructor(
    /** Offset the device last acknowledged. */
    readonly offset: number,
    readonly total: number,
  ) {
    super(
      offset > 0
        ? `Upload interrupted at byte ${offset} of ${total} (${Math.floor((offset * 100) / total)}%). ` +
            'The device keeps this upload until it resets or another upload starts: run the same ' +
            'command again to resume from there.'
        : 'Upload interrupted before the device acknowledged any data.',
    );
  }
}

export interface InspectedImage {
  readonly image: McubootImage | undefined;
  readonly version: string | undefined;
  readonly imageHash: Uint8Array | undefined;
}

/** Parses the file as an MCUboot image; refuses anything else unless `force`. */
export function inspectImage(data: Uint8Array, force = false): InspectedImage {
  try {
    const image = parseImage(data);
    return { image, version: formatVersion(image.header.version), imageHash: image.sha256Hash };
  } catch (err) {
    if (!(err instanceof ImageFormatError)) throw err;
    if (!force) throw new NotAnImageError(err);
    return { image: undefined, version: undefined, imageHash: undefined };
  }
}

export const DEFAULT_CHUNK_TIMEOUT_MS = 5_000;
export const DEFAULT_FIRST_CHUNK_TIMEOUT_MS = 40_000;
export const DEFAULT_UPLOAD_RETRIES = 3;
export const DEFAULT_UPLOAD_RECONNECTS = 3;
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
}

/** Uploads the image file `data` to the device behind `link`. */
export async function uploadImage(
  link: UploadLink,
  data: Uint8Array,
  options: UploadOptions = {},
): Promise<UploadResult> {
  const inspected = inspectImage(data, options.force);
  if (data.length < MIN_FIRST_CHUNK) {
    throw new UploadError(
      `The file is ${data.length} bytes; an image upload needs at least ${MIN_FIRST_CHUNK} (the MCUboot header).`,
      0,
      { fault: 'local' },
    );
  }
  options.signal?.throwIfAborted();
  const sha = await sha256(data);
  const params =
    options.skipParams || link.bufferParams === undefined
      ? undefined
      : await link.bufferParams(options.signal);
  const limit = options.requestLimit ?? requestLimit(link.mtu, link.kind, params?.bufSize, link.fragmentSize);
  const deviceLimit = params === undefined ? undefined : deviceRequestLimit(link.kind, params.bufSize);
  const window = Math.max(1, Math.floor(options.window ?? defaultWindow(params, link.kind, limit)));
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHUNK_TIMEOUT_MS;
  const kind = imageUploadKind((request, sendOptions) => link.sendChunk(request, sendOptions), {
    total: data.length,
    sha,
    image: options.image ?? 0,
    upgrade: options.upgrade ?? false,
    maxChunk: options.maxChunkSize ?? Number.POSITIVE_INFINITY,
    firstTimeoutMs: Math.max(options.firstChunkTimeoutMs ?? DEFAULT_FIRST_CHUNK_TIMEOUT_MS, timeoutMs),
  });
  const session = new UploadSession(data, kind, imageUploadErrors, (answer) => answer.match);
  const outcome = await runTransfer(link, session, {
    timeoutMs,
    retries: options.retries ?? DEFAULT_UPLOAD_RETRIES,
    reconnects: options.reconnects ?? DEFAULT_UPLOAD_RECONNECTS,
    window,
    requestLimit: limit,
    deviceLimit,
    noun: 'upload',
    firstChunkNeeds: `${MIN_FIRST_CHUNK} data bytes plus len and sha`,
    firstChunkHint: 'The first chunk erases the slot; a slow erase may need a longer timeout.',
    errors: imageUploadErrors,
    onProgress: options.onProgress,
    onNotice: options.onNotice,
    signal: options.signal,
    now: options.now ?? (() => globalThis.performance.now()),
  });
  const { result: match, ...counts } = outcome;
  if (match === false) {
    throw new UploadError(
      'The device stored all bytes but reports that they do not match the SHA-256 of the file (match=false): ' +
        'some bytes were damaged on the way or in flash. Run the same command again: the upload starts ' +
        'over and normally succeeds; if it fails again, check the link and the device.',
      data.length,
      { fault: 'device' },
    );
  }
  if (inspected.imageHash !== undefined) {
    await checkSlot(link, inspected.imageHash, options.image ?? 0, data.length, options.signal);
  }
  return { ...counts, sha256: sha, match, version: inspected.version, imageHash: inspected.imageHash };
}

/** The engine's failures under image upload's error classes. */
const imageUploadErrors: TransferErrors = {
  failure: (message, offset, options) => new UploadError(message, offset, options),
  conflict: (message, offset, options) => new UploadConflictError(message, offset, options),
  aborted: (offset, total) => new UploadAbortedError(offset, total ?? 0),
};

/**
 * After the last chunk, the device's image list must show this file's image (hash TLV). This
 * catches what no offset shows, e.g. another client's upload erasing the slot right after ours.
 */
async function checkSlot(
  link: UploadLink,
  imageHash: Uint8Array,
  imageNumber: number,
  total: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (link.slotImages === undefined) return;
  const images = await link.slotImages(signal);
  if (images === undefined) return;
  const ours = images.filter((row) => (row.image ?? 0) === imageNumber);
  if (ours.some((row) => equalBytes(row.hash, imageHash))) return;
  const shown =
    ours.length === 0
      ? 'it lists no image there'
      : `it lists ${ours.map((row) => `slot ${row.slot}: ${row.version} (hash ${hexPrefix(row.hash)}…)`).join(', ')}`;
  throw new UploadError(
    `The device acknowledged all ${total} bytes, but its image list does not show this file's image ` +
      `(hash ${hexPrefix(imageHash)}…): ${shown}. Another client probably uploaded to the device at ` +
      'the same time; make sure nothing else is updating it, then upload again.',
    total,
    { fault: 'device' },
  );
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function hexPrefix(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes.subarray(0, 8)) out += byte.toString(16).padStart(2, '0');
  return out;
}
