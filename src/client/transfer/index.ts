/**
 * The chunked-transfer engine's public face: fs upload and fs download (Zephyr fs_mgmt.c) over
 * any device link (DeviceClient.transferLink()); image upload stays in ../upload.ts on the same
 * engine. Pure: no Node imports.
 */
export type { TransferProgress } from './engine.ts';
export { TransferConflictError, TransferError } from './errors.ts';
export {
  FileTransferAbortedError,
  FileTransferConflictError,
  FileTransferError,
  type FileTransferOptions,
  type FileTransferResult,
} from './file-transfer.ts';
export {
  DEFAULT_MAX_DOWNLOAD,
  downloadFile,
  type FileDownloadOptions,
  type FileDownloadResult,
} from './fs-download.ts';
export { type FileUploadOptions, type FileUploadResult, uploadFile } from './fs-upload.ts';
export type { DeviceBufferParams, SendChunkOptions, SmpTransferLink, TransferLink } from './link.ts';
