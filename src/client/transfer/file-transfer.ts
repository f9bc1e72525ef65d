/**
 * What fs upload and fs download (Zephyr fs_mgmt.c, group 8 command 0) share: their options,
 * their result, their errors, and how a run is set up on a link (the device's buffers, the request
 * limit, the window). Pure: no Node imports.
 */
import type { Fault } from '../../util/fault.ts';
import type { EngineOptions, TransferCounts, TransferOptions } from './engine.ts';
import { TransferConflictError, TransferError, type TransferErrors } from './errors.ts';
import {
  type DeviceBufferParams,
  defaultWindow,
  deviceRequestLimit,
  requestLimit,
  type TransferLink,
} from './link.ts';

export const DEFAULT_FILE_CHUNK_TIMEOUT_MS = 5_000;
export const DEFAULT_FILE_RETRIES = 3;
export const DEFAULT_FILE_RECONNECTS = 3;

/** fs transfers take the engine's options as they are. */
export type FileTransferOptions = TransferOptions;

/**
 * What an fs transfer reports. Its `chunkSize` is the data bytes per request (upload) or per
 * answer (download, the largest the device sent).
 */
export type FileTransferResult = TransferCounts;

export class FileTransferError extends TransferError {
  override readonly name: string = 'FileTransferError';
}

/** The device's file changed under the transfer (another client, a changed length). */
export class FileTransferConflictError extends TransferConflictError {
  override readonly name: string = 'FileTransferConflictError';
}

/**
 * The transfer was cancelled. Named AbortError so every front end treats it as a cancellation;
 * it says how far the device got, and a download keeps the bytes it received to resume with.
 */
export class FileTransferAbortedError extends Error {
  override readonly name = 'AbortError';
  constructor(
    readonly direction: 'upload' | 'download',
    readonly file: string,
    /** Bytes the device confirmed (upload) or received in order (download). */
    readonly offset: number,
    readonly total: number | undefined,
    /** A download's bytes received in order (pass them as `resume` to carry on). */
    readonly received?: Uint8Array,
  ) {
    const of = total === undefined ? '' : ` of ${total}`;
    const percent = total === undefined || total === 0 ? '' : ` (${Math.floor((offset * 100) / total)}%)`;
    super(
      `${direction === 'upload' ? 'Upload' : 'Download'} of ${file} interrupted at byte ${offset}${of}${percent}.` +
        (direction === 'upload'
          ? ' Upload again with resume to carry on from the bytes the device holds.'
          : ' Download again with resume (the bytes received so far) to carry on from there.'),
    );
  }
}

export function fileTransferErrors(
  direction: 'upload' | 'download',
  file: string,
  received?: () => Uint8Array,
): TransferErrors {
  return {
    failure: (message: string, offset: number, options?: { cause?: unknown; fault?: Fault }) =>
      new FileTransferError(message, offset, options),
    conflict: (message: string, offset: number, options?: { cause?: unknown; fault?: Fault }) =>
      new FileTransferConflictError(message, offset, options),
    aborted: (offset: number, total: number | undefined) =>
      new FileTransferAbortedError(direction, file, offset, total, received?.()),
  };
}

/** The link-dependent half of the engine's options: buffers, request limit, window, clock. */
export async function setUpRun(
  link: TransferLink,
  options: FileTransferOptions,
  noun: string,
): Promise<
  Omit<EngineOptions, 'errors' | 'firstChunkNeeds'> & { readonly params: DeviceBufferParams | undefined }
> {
  options.signal?.throwIfAborted();
  const params =
    options.skipParams || link.bufferParams === undefined
      ? undefined
      : await link.bufferParams(options.signal);
  const limit = options.requestLimit ?? requestLimit(link.mtu, link.kind, params?.bufSize, link.fragmentSize);
  const deviceLimit = params === undefined ? undefined : deviceRequestLimit(link.kind, params.bufSize);
  // A download's answers, not its requests, fill the device's buffers: size the window by them.
  const message = noun === 'download' ? (deviceLimit ?? limit) : limit;
  const window = Math.max(1, Math.floor(options.window ?? defaultWindow(params, link.kind, message)));
  return {
    params,
    timeoutMs: options.timeoutMs ?? DEFAULT_FILE_CHUNK_TIMEOUT_MS,
    retries: options.retries ?? DEFAULT_FILE_RETRIES,
    reconnects: options.reconnects ?? DEFAULT_FILE_RECONNECTS,
    window,
    requestLimit: limit,
    deviceLimit,
    noun,
    onProgress: options.onProgress,
    onNotice: options.onNotice,
    signal: options.signal,
    now: options.now ?? (() => globalThis.performance.now()),
  };
}

/** A file name the device can take: Zephyr refuses an empty one (EINVAL). */
export function checkFileName(name: string): void {
  if (name.length === 0) {
    throw new FileTransferError(
      'The file name is empty; give the path on the device, e.g. /lfs/log.txt.',
      0,
      {
        fault: 'local',
      },
    );
  }
}
