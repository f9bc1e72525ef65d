/**
 * The client's calls of the file-system management group (8) over an SmpClient: file status,
 * hash/checksum, the supported types and closing the file a transfer left open. Uploads and
 * downloads run on the chunked-transfer engine (src/client/transfer/fs-upload.ts, fs-download.ts).
 * Follows Zephyr v3.5.0 subsys/mgmt/mcumgr/grp/fs_mgmt/src/fs_mgmt.c and intercreate smp
 * smp/file_management.py. Pure: no Node imports.
 */
import type { RequestOptions, SmpClient } from '../../client/client.ts';
import { closeOpenedFile, fileHashChecksum, fileStatus, supportedHashChecksum } from './models.ts';

/** A hash/checksum result: crc32 as a number, sha256 as bytes; `off` and `len` say what it covers. */
export interface FileHash {
  readonly name: string;
  readonly type: string;
  readonly off: number;
  /** Bytes the device hashed. */
  readonly len: number;
  readonly output: number | Uint8Array;
}

export interface HashRequest {
  /** crc32 or sha256; the device's default (crc32 on Zephyr) when left out. */
  readonly type?: string;
  readonly off?: number;
  readonly len?: number;
}

export interface HashTypeInfo {
  /** 0: a number (a checksum), 1: a byte string (a hash). */
  readonly format: number;
  /** Output size in bytes. */
  readonly size: number;
}

/** The size of a file on the device (fs status). */
export async function fileSize(smp: SmpClient, name: string, options: RequestOptions = {}): Promise<number> {
  return (await smp.request(fileStatus, { name }, options)).len;
}

/** The device's hash or checksum of a file, or of part of it. */
export async function fileHash(
  smp: SmpClient,
  name: string,
  request: HashRequest = {},
  options: RequestOptions = {},
): Promise<FileHash> {
  const body: { name: string; type?: string; off?: number; len?: number } = { name };
  if (request.type !== undefined) body.type = request.type;
  if (request.off !== undefined) body.off = request.off;
  if (request.len !== undefined) body.len = request.len;
  const response = await smp.request(fileHashChecksum, body, options);
  return { name, type: response.type, off: response.off ?? 0, len: response.len, output: response.output };
}

/** The hash and checksum types the device supports, by name. */
export async function hashTypes(
  smp: SmpClient,
  options: RequestOptions = {},
): Promise<Readonly<Record<string, HashTypeInfo>>> {
  return (await smp.request(supportedHashChecksum, {}, options)).types;
}

/** Closes the file an upload or download left open on the device (fs close). */
export async function closeFile(smp: SmpClient, options: RequestOptions = {}): Promise<void> {
  await smp.request(closeOpenedFile, {}, options);
}

/** A hash output as text: crc32 as 0x-prefixed 8 hex digits, hashes as hex. */
export function formatHashOutput(output: number | Uint8Array): string {
  if (typeof output === 'number') return `0x${output.toString(16).padStart(8, '0')}`;
  return Array.from(output, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
