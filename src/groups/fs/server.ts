/**
 * File-system management group (8) of the virtual device's SMP server, following Zephyr v3.5.0's
 * subsys/mgmt/mcumgr/grp/fs_mgmt/src/fs_mgmt.c (and fs_mgmt_hash_checksum_{crc32,sha256}.c):
 *
 * - one upload or download at a time, its file kept open between chunks and closed when the
 *   transfer reaches its length, on the close command (4), on a request for another file or
 *   direction, or after CONFIG_MCUMGR_GRP_FS_FILE_AUTOMATIC_IDLE_CLOSE_TIME without a request;
 * - upload: `off` 0 needs `len`, truncates an existing file once data comes; later chunks must
 *   come at the expected offset (the file's size when no transfer is open), else
 *   FILE_OFFSET_NOT_VALID with the expected offset as `len`;
 * - download: chunks of the device's own size (fs_mgmt_config.h), `len` only at `off` 0;
 * - names over CONFIG_MCUMGR_GRP_FS_PATH_LEN bytes, and missing keys, are EINVAL; fs errors map
 *   to the group's codes as fs_mgmt.c maps each fs call's errno.
 *
 * Not modelled: the transport that owns a transfer (fs_mgmt_ctxt.transport; every request here is
 * taken as coming from the same one), the file-access hook, and EBUSY (the lock is never
 * contended: requests are handled one at a time).
 */
import {
  Errno,
  type FileHandle,
  type FileSystemApi,
  FS_O_CREATE,
  FS_O_READ,
  FS_O_WRITE,
  FS_SEEK_END,
  FS_SEEK_SET,
  FsError,
} from '../../device/fs/fs-api.ts';
import { GroupError, MgmtErr, MgmtError } from '../../device/server/mgmt-error.ts';
import type { SmpServer } from '../../device/server/smp-server.ts';
import { toBufferSource } from '../../image/bytes.ts';
import type { DecodedRequestOf, ResponseInputOf } from '../../smp/command.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { crc32Update } from '../../util/crc32.ts';
import {
  DEFAULT_FS_MGMT_CONFIG,
  downloadChunkSize,
  type FsMgmtConfig,
  HASH_CHECKSUM_INFO,
  type HashChecksumType,
} from './config.ts';
import { FsErr } from './group.ts';
import {
  closeOpenedFile,
  fileDownload,
  fileHashChecksum,
  fileStatus,
  fileUpload,
  supportedHashChecksum,
} from './models.ts';

export interface FsGroupOptions {
  /** The app's file systems (Zephyr's fs_* calls over every mount point). */
  readonly fs: FileSystemApi;
  /** CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE: sets the download chunk size. */
  readonly netbufSize: number;
  readonly config?: FsMgmtConfig;
}

type State = 'none' | 'upload' | 'download';

/** HASH_CHECKSUM_TYPE_SIZE: the longest type name a request may give. */
const HASH_TYPE_MAX = 8;

const encoder = new TextEncoder();

function fsError(rc: number, message: string, extra?: Record<string, number>): GroupError {
  return new GroupError(SmpGroup.Fs, rc, message, undefined, extra);
}

function errnoOf(error: unknown): number {
  if (error instanceof FsError) return error.errno;
  throw error;
}

/** -EINVAL → FILE_INVALID_NAME, -ENOENT → `notFound`, -EROFS → READ_ONLY (uploads), else UNKNOWN. */
function openErrorCode(errno: number, notFound: number, readOnly: boolean): number {
  if (errno === -Errno.EINVAL) return FsErr.FILE_INVALID_NAME;
  if (errno === -Errno.ENOENT) return notFound;
  if (readOnly && errno === -Errno.EROFS) return FsErr.READ_ONLY_FILESYSTEM;
  return FsErr.UNKNOWN;
}

/** The fs_mgmt state (fs_mgmt_ctxt) and its command handlers. */
export class FsMgmt {
  private state: State = 'none';
  private off = 0;
  private len = 0;
  private path = '';
  private file: FileHandle | undefined;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly config: FsMgmtConfig;
  private readonly chunkSize: number;

  constructor(private readonly options: FsGroupOptions) {
    this.config = options.config ?? DEFAULT_FS_MGMT_CONFIG;
    this.chunkSize = downloadChunkSize(options.netbufSize, this.config);
  }

  /** Name of the file an upload or download holds open, if any. */
  get openFile(): { path: string; direction: 'upload' | 'download'; off: number } | undefined {
    return this.state === 'none' ? undefined : { path: this.path, direction: this.state, off: this.off };
  }

  /** The app stops (reset, power-off): RAM state and the idle timer go; nothing is written. */
  stop(): void {
    clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    this.state = 'none';
    this.file = undefined;
  }

  /** The close command (4): fs_mgmt_close_opened_file. */
  close(): void {
    // Upstream leaves the idle work scheduled (it then finds nothing open); cancelling it here
    // changes nothing a client sees and leaves no timer behind.
    clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    this.cleanup();
  }

  /** fs_mgmt_cleanup: closes the open file (a LittleFS commit) and forgets the transfer. */
  cleanup(): void {
    if (this.state === 'none') return;
    const file = this.file;
    this.state = 'none';
    this.off = 0;
    this.len = 0;
    this.path = '';
    this.file = undefined;
    try {
      file?.close();
    } catch (error) {
      // fs_close's result is ignored upstream too.
      errnoOf(error);
    }
  }

  private checkName(name: string): void {
    const size = encoder.encode(name).length;
    if (size === 0) throw new MgmtError(MgmtErr.EINVAL, 'the file name is empty');
    if (size > this.config.pathLen) {
      throw new MgmtError(
        MgmtErr.EINVAL,
        `the file name is ${size} bytes, longer than CONFIG_MCUMGR_GRP_FS_PATH_LEN (${this.config.pathLen})`,
      );
    }
  }

  /** fs_mgmt_filelen: the size of a file, or the group error for what fs_stat said. */
  private fileLength(path: string): number {
    let entry: ReturnType<FileSystemApi['stat']>;
    try {
      entry = this.options.fs.stat(path);
    } catch (error) {
      const errno = errnoOf(error);
      const code =
        errno === -Errno.EINVAL
          ? FsErr.FILE_INVALID_NAME
          : errno === -Errno.ENOENT
            ? FsErr.FILE_NOT_FOUND
            : FsErr.UNKNOWN;
      throw fsError(code, `${path}: ${(error as Error).message}`);
    }
    if (entry.type !== 'file') throw fsError(FsErr.FILE_IS_DIRECTORY, `${path} is a directory`);
    return entry.size;
  }

  /** fs_mgmt_upload_download_finish_check. */
  private finishCheck(): void {
    if (this.len > 0 && this.off >= this.len) {
      clearTimeout(this.closeTimer);
      this.closeTimer = undefined;
      this.cleanup();
    } else {
      clearTimeout(this.closeTimer);
      this.closeTimer = setTimeout(() => {
        this.closeTimer = undefined;
        this.cleanup();
      }, this.config.idleCloseMs);
    }
  }

  /** Runs a step that fails with a group error after which the transfer is dropped. */
  private orCleanup<T>(step: () => T, code: number, what: string): T {
    try {
      return step();
    } catch (error) {
      errnoOf(error);
      this.cleanup();
      throw fsError(code, `${what}: ${(error as Error).message}`);
    }
  }

  download(request: DecodedRequestOf<typeof fileDownload>): ResponseInputOf<typeof fileDownload> {
    const { name, off } = request;
    this.checkName(name);
    if (this.state !== 'download' || this.path !== name) this.cleanup();
    if (this.state === 'none') {
      this.len = this.fileLength(name);
      this.off = 0;
      try {
        this.file = this.options.fs.open(name, FS_O_READ);
      } catch (error) {
        const code = openErrorCode(errnoOf(error), FsErr.FILE_NOT_FOUND, false);
        throw fsError(code, `${name}: ${(error as Error).message}`);
      }
      this.path = name;
      this.state = 'download';
    }
    const file = this.file as FileHandle;
    if (off !== this.off) {
      this.orCleanup(() => file.seek(off, FS_SEEK_SET), FsErr.FILE_SEEK_FAILED, `seek to ${off} in ${name}`);
      this.off = off;
    }
    const data = this.orCleanup(() => file.read(this.chunkSize), FsErr.FILE_READ_FAILED, `read ${name}`);
    this.off += data.length;
    const response = off === 0 ? { off, data, len: this.len } : { off, data };
    this.finishCheck();
    return response;
  }

  upload(request: DecodedRequestOf<typeof fileUpload>): ResponseInputOf<typeof fileUpload> {
    const { name, off, data, len } = request;
    this.checkName(name);
    if (off === 0 && len === undefined) {
      throw new MgmtError(
        MgmtErr.EINVAL,
        'the first chunk of an upload (off 0) must give the file length (len)',
      );
    }
    if (this.state !== 'upload' || this.path !== name) this.cleanup();
    if (this.state === 'none') {
      this.off = 0;
      try {
        this.file = this.options.fs.open(name, FS_O_CREATE | FS_O_WRITE);
      } catch (error) {
        const code = openErrorCode(errnoOf(error), FsErr.MOUNT_POINT_NOT_FOUND, true);
        throw fsError(code, `${name}: ${(error as Error).message}`);
      }
      this.path = name;
      this.state = 'upload';
    }
    let existing = 0;
    if (off === 0) {
      // Kept so the file closes once the whole upload is in; a lost `len` leaves it to the idle close.
      this.len = len ?? 0;
      existing = this.sizeOrCleanup(name);
    } else if (this.off === 0) {
      this.off = this.sizeOrCleanup(name);
    }
    if (off > 0 && off !== this.off) {
      const expected = this.off;
      this.cleanup();
      throw fsError(FsErr.FILE_OFFSET_NOT_VALID, `${name}: upload chunk at ${off}, expected ${expected}`, {
        len: expected,
      });
    }
    if (data.length > 0) {
      const file = this.file as FileHandle;
      if (off === 0 && existing !== 0) {
        this.orCleanup(() => file.seek(0, FS_SEEK_SET), FsErr.FILE_SEEK_FAILED, `seek to 0 in ${name}`);
        this.orCleanup(() => file.truncate(0), FsErr.FILE_TRUNCATE_FAILED, `truncate ${name}`);
      } else if (file.tell() !== off) {
        this.orCleanup(() => file.seek(0, FS_SEEK_END), FsErr.FILE_SEEK_FAILED, `seek to the end of ${name}`);
      }
      this.orCleanup(() => file.write(data), FsErr.FILE_WRITE_FAILED, `write ${name}`);
      this.off += data.length;
    }
    const response = { off: this.off };
    this.finishCheck();
    return response;
  }

  private sizeOrCleanup(name: string): number {
    try {
      return this.fileLength(name);
    } catch (error) {
      this.cleanup();
      throw error;
    }
  }

  status(request: DecodedRequestOf<typeof fileStatus>): ResponseInputOf<typeof fileStatus> {
    this.checkName(request.name);
    return { len: this.fileLength(request.name) };
  }

  async hashChecksum(
    request: DecodedRequestOf<typeof fileHashChecksum>,
  ): Promise<ResponseInputOf<typeof fileHashChecksum>> {
    const { name } = request;
    const off = request.off ?? 0;
    const type = request.type ?? '';
    this.checkName(name);
    if (encoder.encode(type).length > HASH_TYPE_MAX) {
      throw new MgmtError(
        MgmtErr.EINVAL,
        `hash/checksum type "${type}" is longer than ${HASH_TYPE_MAX} bytes`,
      );
    }
    if (request.len === 0) throw new MgmtError(MgmtErr.EINVAL, 'a hash/checksum over 0 bytes');
    const chosen = (type === '' ? this.config.hashTypes[0] : type) as HashChecksumType;
    if (!this.config.hashTypes.includes(chosen)) {
      throw fsError(FsErr.CHECKSUM_HASH_NOT_FOUND, `no hash/checksum type "${type}" on this device`);
    }
    const size = this.fileLength(name);
    if (size <= off) {
      throw fsError(
        size === 0 ? FsErr.FILE_EMPTY : FsErr.FILE_OFFSET_LARGER_THAN_FILE,
        size === 0 ? `${name} is empty` : `offset ${off} is not inside ${name} (${size} bytes)`,
      );
    }
    let file: FileHandle;
    try {
      file = this.options.fs.open(name, FS_O_READ);
    } catch (error) {
      const code = openErrorCode(errnoOf(error), FsErr.FILE_NOT_FOUND, false);
      throw fsError(code, `${name}: ${(error as Error).message}`);
    }
    try {
      if (off !== 0) {
        try {
          file.seek(off, FS_SEEK_SET);
        } catch (error) {
          errnoOf(error);
          throw fsError(FsErr.FILE_SEEK_FAILED, `seek to ${off} in ${name}`);
        }
      }
      const { output, covered } = await this.compute(chosen, file, request.len ?? Number.MAX_SAFE_INTEGER);
      return off === 0 ? { type: chosen, len: covered, output } : { type: chosen, off, len: covered, output };
    } finally {
      try {
        file.close();
      } catch (error) {
        errnoOf(error);
      }
    }
  }

  /** Reads up to `limit` bytes in CHECKSUM_HASH_CHUNK_SIZE steps, as the hash functions do. */
  private async compute(
    type: HashChecksumType,
    file: FileHandle,
    limit: number,
  ): Promise<{ output: number | Uint8Array; covered: number }> {
    const chunks: Uint8Array[] = [];
    let crc = 0;
    let covered = 0;
    for (;;) {
      const want = Math.min(this.config.hashChunkSize, limit - covered);
      let chunk: Uint8Array;
      try {
        chunk = file.read(want);
      } catch (error) {
        errnoOf(error);
        // The hash functions return MGMT_ERR_EUNKNOWN (1), which fs_mgmt sends as the group's
        // error 1, UNKNOWN.
        throw fsError(FsErr.UNKNOWN, `read ${(error as Error).message}`);
      }
      if (chunk.length === 0) break;
      covered += chunk.length;
      if (type === 'crc32') crc = crc32Update(crc, chunk);
      else chunks.push(chunk);
      if (covered >= limit) break;
    }
    if (type === 'crc32') return { output: crc, covered };
    const all = new Uint8Array(covered);
    let at = 0;
    for (const chunk of chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    const digest = await globalThis.crypto.subtle.digest('SHA-256', toBufferSource(all));
    return { output: new Uint8Array(digest), covered };
  }

  supportedTypes(): ResponseInputOf<typeof supportedHashChecksum> {
    const types: Record<string, { format: number; size: number }> = {};
    for (const type of this.config.hashTypes) types[type] = { ...HASH_CHECKSUM_INFO[type] };
    return { types };
  }
}

/** Registers fs_mgmt's handlers; the returned state is the app's (stop it when the app stops). */
export function registerFsGroup(server: SmpServer, options: FsGroupOptions): FsMgmt {
  const mgmt = new FsMgmt(options);
  const config = options.config ?? DEFAULT_FS_MGMT_CONFIG;
  server.register(fileDownload, (request) => mgmt.download(request));
  server.register(fileUpload, (request) => mgmt.upload(request));
  if (config.fileStatus) server.register(fileStatus, (request) => mgmt.status(request));
  if (config.hashTypes.length > 0) {
    server.register(fileHashChecksum, (request) => mgmt.hashChecksum(request));
    if (config.supportedTypesCommand) {
      server.register(supportedHashChecksum, () => mgmt.supportedTypes(), { readsRequest: false });
    }
  }
  server.register(
    closeOpenedFile,
    () => {
      mgmt.close();
      return {};
    },
    { readsRequest: false },
  );
  return mgmt;
}
