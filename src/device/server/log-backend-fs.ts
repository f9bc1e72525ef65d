/**
 * Zephyr's file-system log backend (subsys/logging/backends/log_backend_fs.c, Kconfig.fs):
 * every log message of the app goes, as text, into files named `<dir>/<prefix>NNNN`
 * (/lfs1/log.0000, /lfs1/log.0001, …) on a mounted file system.
 *
 * - Nothing is written until the directory's file system is mounted (messages are dropped).
 * - At the first message the backend looks for the newest log file and appends to it while it
 *   is under CONFIG_LOG_BACKEND_FS_FILE_SIZE; a message that would take a file past that size
 *   starts the next number (after 9999 comes 0000).
 * - Before a new file it deletes the oldest (CONFIG_LOG_BACKEND_FS_OVERWRITE) while there are
 *   CONFIG_LOG_BACKEND_FS_FILES_LIMIT files or no more than a file's size is free.
 * - Each batch the log thread processes ends with fs_sync (LOG_BACKEND_EVT_PROCESS_THREAD_DONE),
 *   so another reader (fs_mgmt's download) sees the lines; a reset loses only unsynced data.
 * - log_output hands the text over in pieces of at most 256 bytes (MAX_FLASH_WRITE_SIZE).
 * - A fatal error (log_panic) deactivates the backend.
 *
 * Where the upstream loop would retry a failed write forever (log_output's buffer_write repeats
 * a piece the backend reports as 0 bytes written), this model drops the piece instead.
 */
import {
  type FileHandle,
  type FileSystemApi,
  FS_O_APPEND,
  FS_O_CREATE,
  FS_O_WRITE,
  FsError,
} from '../fs/fs-api.ts';

export interface LogBackendFsConfig {
  /** CONFIG_LOG_BACKEND_FS_DIR (default "/lfs1"). */
  readonly dir: string;
  /** CONFIG_LOG_BACKEND_FS_FILE_PREFIX (default "log."). */
  readonly prefix: string;
  /** CONFIG_LOG_BACKEND_FS_FILE_SIZE (default 4096 bytes). */
  readonly fileSize: number;
  /** CONFIG_LOG_BACKEND_FS_FILES_LIMIT (default 10). */
  readonly filesLimit: number;
  /** CONFIG_LOG_BACKEND_FS_OVERWRITE (default y). */
  readonly overwrite: boolean;
}

export const DEFAULT_LOG_BACKEND_FS: LogBackendFsConfig = {
  dir: '/lfs1',
  prefix: 'log.',
  fileSize: 4096,
  filesLimit: 10,
  overwrite: true,
};

const MAX_FILE_NUMERAL = 9999;
const MAX_FLASH_WRITE_SIZE = 256;

type BackendState = 'not-initialized' | 'corrupted' | 'ok';

const encoder = new TextEncoder();

function isFsError(error: unknown): error is FsError {
  return error instanceof FsError;
}

export class LogBackendFs {
  private state: BackendState = 'not-initialized';
  private active = true;
  private file: FileHandle | undefined;
  private fileCount = 0;
  private newest = 0;
  private oldest = 0;
  private syncQueued = false;
  private readonly config: LogBackendFsConfig;

  constructor(
    private readonly fs: FileSystemApi,
    config: Partial<LogBackendFsConfig> = {},
  ) {
    this.config = { ...DEFAULT_LOG_BACKEND_FS, ...config };
  }

  /** The path of log file `num` (get_log_path). */
  pathOf(num: number): string {
    return `${this.config.dir}/${this.config.prefix}${String(num).padStart(4, '0')}`;
  }

  /** One formatted log message (its line end included). */
  message(text: string): void {
    if (!this.active) return;
    const bytes = encoder.encode(text);
    for (let at = 0; at < bytes.length; at += MAX_FLASH_WRITE_SIZE) {
      this.writePiece(bytes.subarray(at, at + MAX_FLASH_WRITE_SIZE));
    }
    // The log thread's batch ends when the code that logged yields: sync then, once.
    if (!this.syncQueued) {
      this.syncQueued = true;
      queueMicrotask(() => this.processThreadDone());
    }
  }

  /** log_panic: keep what is on flash rather than risk writing more. */
  panic(): void {
    this.active = false;
  }

  /** The app stops (reset, power-off): the open handle and the counters were RAM. */
  stop(): void {
    this.active = false;
    this.file = undefined;
  }

  /** LOG_BACKEND_EVT_PROCESS_THREAD_DONE: fs_sync the current file. */
  private processThreadDone(): void {
    this.syncQueued = false;
    if (!this.active || this.state !== 'ok' || !this.file) return;
    try {
      this.file.sync();
    } catch (error) {
      if (!isFsError(error)) throw error;
      this.state = 'corrupted';
    }
  }

  /** write_log_to_file. */
  private writePiece(data: Uint8Array): void {
    if (this.state === 'not-initialized') {
      if (!this.volumeAvailable()) return;
      let ok = this.createLogDir();
      if (ok) ok = this.allocateNewFile() >= 0;
      this.state = ok ? 'ok' : 'corrupted';
    }
    if (this.state !== 'ok' || !this.file) return;
    let size: number;
    try {
      size = this.file.tell();
    } catch (error) {
      if (!isFsError(error)) throw error;
      this.state = 'corrupted';
      return;
    }
    if (size + data.length > this.config.fileSize && this.allocateNewFile() < 0) {
      this.state = 'corrupted';
      return;
    }
    const file = this.file;
    if (!file) return;
    try {
      const written = file.write(data);
      if (this.config.overwrite && written !== data.length) this.deleteOldest();
    } catch (error) {
      if (!isFsError(error)) throw error;
      const exists = this.logFileExists(this.newest);
      if (exists === false) {
        // The file was lost somehow: start a new one with the same number.
        this.fileCount--;
        if (this.allocateNewFile() < 0) this.state = 'corrupted';
      } else if (exists === undefined) {
        this.state = 'corrupted';
      }
    }
  }

  /** check_log_volume_available: some mount point is a prefix of the log directory. */
  private volumeAvailable(): boolean {
    try {
      this.fs.statvfs(this.config.dir);
      return true;
    } catch (error) {
      if (!isFsError(error)) throw error;
      return false;
    }
  }

  /** create_log_dir: every directory below the mount point, made if missing. */
  private createLogDir(): boolean {
    const parts = this.config.dir.split('/').filter((part) => part !== '');
    // The first component is the mount point.
    for (let i = 2; i <= parts.length; i++) {
      const path = `/${parts.slice(0, i).join('/')}`;
      try {
        this.fs.readdir(path);
      } catch {
        try {
          this.fs.mkdir(path);
        } catch (error) {
          if (!isFsError(error)) throw error;
          return false;
        }
      }
    }
    return true;
  }

  /** check_log_file_exist: true, false, or undefined when the file system failed. */
  private logFileExists(num: number): boolean | undefined {
    try {
      this.fs.stat(this.pathOf(num));
      return true;
    } catch (error) {
      if (!isFsError(error)) throw error;
      return error.code === 'ENOENT' ? false : undefined;
    }
  }

  /** get_log_file_id: the number of a log file's name, or -1. */
  private fileId(entry: { type: string; name: string }): number {
    const { prefix } = this.config;
    if (entry.type !== 'file' || entry.name.length !== prefix.length + 4) return -1;
    if (!entry.name.startsWith(prefix)) return -1;
    const digits = entry.name.slice(prefix.length);
    // atoi: leading digits only.
    const num = Number.parseInt(digits, 10);
    return Number.isInteger(num) && num >= 0 && num <= MAX_FILE_NUMERAL ? num : -1;
  }

  /** allocate_new_file: 0 on success, negative errno on failure. */
  private allocateNewFile(): number {
    const { dir, fileSize, filesLimit } = this.config;
    let current: number;
    try {
      if (this.state === 'not-initialized') {
        const ids = this.fs
          .readdir(dir)
          .map((entry) => this.fileId(entry))
          .filter((id) => id >= 0);
        let max = 0;
        let min = MAX_FILE_NUMERAL;
        for (const id of ids) {
          if (id > max) max = id;
          if (id < min) min = id;
        }
        this.fileCount += ids.length;
        this.oldest = min;
        if (this.fileCount > 1 && max - min > 2 * filesLimit) {
          // The numbers wrapped past 9999: the newest is just above the low end.
          this.newest = min;
          this.oldest = max;
          for (const id of ids) {
            if (id < min + filesLimit && this.newest < id) this.newest = id;
            if (id > max - filesLimit && this.oldest > id) this.oldest = id;
          }
        } else {
          this.newest = max;
          this.oldest = min;
        }
        current = this.newest;
        // Is there room left in the newest file?
        const file = this.fs.open(this.pathOf(current), FS_O_CREATE | FS_O_WRITE | FS_O_APPEND);
        if (file.tell() < fileSize) {
          if (this.fileCount === 0) this.fileCount++;
          this.file = file;
          this.state = 'ok';
          return 0;
        }
        file.close();
        if (this.fileCount >= 1) current = current + 1 > MAX_FILE_NUMERAL ? 0 : current + 1;
        this.state = 'ok';
      } else {
        this.file?.close();
        this.file = undefined;
        current = this.newest + 1 > MAX_FILE_NUMERAL ? 0 : this.newest + 1;
      }
      let stat = this.fs.statvfs(dir);
      while (this.fileCount >= filesLimit || stat.bfree * stat.frsize <= fileSize) {
        if (!this.config.overwrite) return -28;
        const rc = this.deleteOldest();
        if (rc < 0) return rc;
        stat = this.fs.statvfs(dir);
      }
      this.file = this.fs.open(this.pathOf(current), FS_O_CREATE | FS_O_WRITE);
      this.fileCount++;
      this.newest = current;
      return 0;
    } catch (error) {
      if (!isFsError(error)) throw error;
      return error.errno;
    }
  }

  /** del_oldest_log: unlinks the oldest file, skipping numbers already gone. */
  private deleteOldest(): number {
    // Bounded: at most every number once.
    for (let tries = 0; tries <= MAX_FILE_NUMERAL; tries++) {
      try {
        this.fs.unlink(this.pathOf(this.oldest));
        this.oldest = this.oldest + 1 > MAX_FILE_NUMERAL ? 0 : this.oldest + 1;
        this.fileCount--;
        return 0;
      } catch (error) {
        if (!isFsError(error)) throw error;
        if (error.code !== 'ENOENT') return error.errno;
        this.oldest = this.oldest + 1 > MAX_FILE_NUMERAL ? 0 : this.oldest + 1;
      }
    }
    return -2;
  }
}
