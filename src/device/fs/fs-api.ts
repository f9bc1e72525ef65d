/**
 * The virtual device's file-system API, modelled on Zephyr's `include/zephyr/fs/fs.h` and
 * `fs_interface.h` (v3.5.0): absolute paths under mount points (`/lfs1/logs/log.0000`), file
 * handles with read/write/seek/tell/truncate/sync/close, stat/unlink/rename/mkdir/readdir/statvfs,
 * and errors carrying Zephyr's negative errno. Everything is synchronous: flash operations in this
 * model are. Pure TypeScript (no Node imports): the browser dashboard reuses the device core.
 *
 * Users (SMP fs_mgmt, settings, log backends) code against `FileSystemApi` (what `Vfs` in vfs.ts
 * implements); a file system driver (LittleFS in littlefs/) implements `MountedFs`.
 */

/** Zephyr's errno values (lib/libc/minimal/include/errno.h); the API returns them negated. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  EBADF: 9,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  EFBIG: 27,
  ENOSPC: 28,
  EROFS: 30,
  ENAMETOOLONG: 36,
  ENOTEMPTY: 39,
  ENOTSUP: 134,
} as const;

export type ErrnoName = keyof typeof Errno;

const ERRNO_WORDS: Record<ErrnoName, string> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EIO: 'input/output error',
  EBADF: 'bad file handle',
  ENOMEM: 'out of memory',
  EFAULT: 'file system corrupted',
  EBUSY: 'busy',
  EEXIST: 'already exists',
  EXDEV: 'cross-device link',
  ENODEV: 'no such device',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EINVAL: 'invalid argument',
  ENFILE: 'too many open files in the system',
  EMFILE: 'too many open files',
  EFBIG: 'file too large',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  ENAMETOOLONG: 'file name too long',
  ENOTEMPTY: 'directory not empty',
  ENOTSUP: 'not supported',
};

/** The errno name for a positive or negative errno number, if it is one Zephyr's fs uses. */
export function errnoName(errno: number): ErrnoName | undefined {
  const n = Math.abs(errno);
  for (const [name, value] of Object.entries(Errno)) if (value === n) return name as ErrnoName;
  return undefined;
}

/**
 * A failed file-system call. `errno` is negative, as Zephyr's fs_* functions return it
 * (e.g. -2 for -ENOENT); the message says what failed on which path, in words.
 */
export class FsError extends Error {
  override readonly name = 'FsError';
  /** Negative Zephyr errno (e.g. -28 for -ENOSPC). */
  readonly errno: number;
  readonly code: ErrnoName | undefined;
  constructor(code: ErrnoName, detail: string, options?: { cause?: unknown }) {
    const errno = -Errno[code];
    super(`${detail}: ${ERRNO_WORDS[code]} (-${code}, ${errno})`, options);
    this.errno = errno;
    this.code = code;
  }
}

/** Raise an FsError (shorthand for drivers). */
export function fsError(code: ErrnoName, detail: string): FsError {
  return new FsError(code, detail);
}

/** Open flags (Zephyr fs_interface.h FS_O_*). */
export const FS_O_READ = 0x01;
export const FS_O_WRITE = 0x02;
export const FS_O_RDWR = FS_O_READ | FS_O_WRITE;
export const FS_O_MODE_MASK = 0x03;
export const FS_O_CREATE = 0x10;
export const FS_O_APPEND = 0x20;
/**
 * Truncate on open. Zephyr added FS_O_TRUNC after v3.5.0 (v3.6); kept because settings/log
 * backends want it and LittleFS has it natively (LFS_O_TRUNC).
 */
export const FS_O_TRUNC = 0x40;
export const FS_O_FLAGS_MASK = 0x70;

/** Seek origins (Zephyr FS_SEEK_*). */
export const FS_SEEK_SET = 0;
export const FS_SEEK_CUR = 1;
export const FS_SEEK_END = 2;
export type Whence = typeof FS_SEEK_SET | typeof FS_SEEK_CUR | typeof FS_SEEK_END;

/** Zephyr's fs_dir_entry_type. */
export type EntryType = 'file' | 'dir';

/** Zephyr's struct fs_dirent: what stat() and readdir() give. */
export interface DirEntry {
  type: EntryType;
  /** The last path component (for the root of a mount, '/'). */
  name: string;
  /** Bytes in the file (0 for a directory). */
  size: number;
}

/** Zephyr's struct fs_statvfs. */
export interface StatVfs {
  /** Optimal transfer block size (f_bsize; LittleFS reports its prog size... see driver). */
  bsize: number;
  /** Allocation unit size (f_frsize; the LittleFS block size). */
  frsize: number;
  /** Size of the file system in f_frsize units. */
  blocks: number;
  /** Free units. */
  bfree: number;
}

/** An open file (Zephyr's struct fs_file_t plus the fs_read/fs_write/... calls on it). */
export interface FileHandle {
  /** Read up to `length` bytes from the position; fewer at the end of the file, none past it. */
  read(length: number): Uint8Array;
  /** Write at the position (at the end with FS_O_APPEND); returns bytes written. */
  write(data: Uint8Array): number;
  /** Move the position; past the end is allowed (a later write fills the gap with zeros). */
  seek(offset: number, whence?: Whence): void;
  tell(): number;
  /** Cut or extend (with zeros) the file to `length` bytes. */
  truncate(length: number): void;
  /** Make everything written so far durable (a LittleFS commit). */
  sync(): void;
  /** Sync and release the handle; any later call on it fails with -EBADF. */
  close(): void;
}

/**
 * What a file-system driver implements for one mount (Zephyr's struct fs_file_system_t). Paths are
 * relative to the mount point and start with '/': '/' is the mount's root.
 */
export interface MountedFs {
  /** Driver name for messages, e.g. 'littlefs'. */
  readonly type: string;
  open(path: string, flags: number): FileHandle;
  stat(path: string): DirEntry;
  unlink(path: string): void;
  rename(from: string, to: string): void;
  mkdir(path: string): void;
  readdir(path: string): DirEntry[];
  statvfs(): StatVfs;
  /** Release the mount; open handles become unusable (-EBADF). */
  unmount(): void;
}

/**
 * The calls the device's services use (Zephyr's fs_* functions). Paths are absolute and include
 * the mount point; a path under no mount point fails with -ENOENT, like fs_get_mnt_point.
 */
export interface FileSystemApi {
  open(path: string, flags: number): FileHandle;
  stat(path: string): DirEntry;
  unlink(path: string): void;
  /** Both paths on the same mount (else -EINVAL, as Zephyr's fs_rename). */
  rename(from: string, to: string): void;
  mkdir(path: string): void;
  /** Every entry of a directory except '.' and '..', in the driver's order. */
  readdir(path: string): DirEntry[];
  statvfs(path: string): StatVfs;
}
