/**
 * Zephyr's settings file backend (subsys/settings/src/settings_file.c, v3.5.0) over the device's
 * file system: records (line.ts) appended to one file; a save that repeats the stored value writes
 * nothing; once the file holds CONFIG_SETTINGS_FS_MAX_LINES records the next save compresses it
 * into `<file>.cmp` (newest record of each live name, then the new one) and renames that over it.
 *
 * Why the file backend and not NVS: on these boards LittleFS owns storage_partition (the fs group
 * and the app's log live there), so NVS cannot share the partition; Zephyr's answer for settings
 * next to a file system is this backend (CONFIG_SETTINGS_FILE) on the mounted LittleFS.
 */
import { type FileSystemApi, FS_O_CREATE, FS_O_RDWR, FS_SEEK_END, FsError } from '../fs/fs-api.ts';
import { decodeRecords, encodeRecord, type SettingsRecord } from './line.ts';
import type { SettingsStore } from './store.ts';

/** CONFIG_SETTINGS_FS_MAX_LINES default. */
export const SETTINGS_FS_MAX_LINES = 32;

const EINVAL = -22;
const EIO = -5;
const ENOENT = -2;
const EISDIR = -21;
const ENOEXEC = -8;
/** Largest read the backend asks of fs_read at once. */
const READ_CHUNK = 4096;

export interface SettingsFileOptions {
  /** CONFIG_SETTINGS_FS_DIR: the directory made at init when missing. */
  readonly dir: string;
  /** CONFIG_SETTINGS_FS_FILE. */
  readonly file: string;
  /** CONFIG_SETTINGS_FS_MAX_LINES (0: never compress). */
  readonly maxLines?: number;
}

function errnoOf(error: unknown): number {
  if (error instanceof FsError) return error.errno;
  throw error;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Records that count on load: the newest of each name, deletion records dropped. */
function liveRecords(records: readonly SettingsRecord[]): SettingsRecord[] {
  const last = new Map<string, number>();
  records.forEach((record, i) => {
    last.set(record.name, i);
  });
  return records.filter((record, i) => last.get(record.name) === i && record.value.length > 0);
}

export class SettingsFileStore implements SettingsStore {
  readonly description: string;
  private readonly maxLines: number;
  /** cf_lines: records in the file as last read or written. */
  private lines = 0;

  constructor(
    private readonly fs: FileSystemApi,
    private readonly options: SettingsFileOptions,
  ) {
    this.description = `file ${options.file}`;
    this.maxLines = options.maxLines ?? SETTINGS_FS_MAX_LINES;
  }

  /** settings_backend_init's file part: make CONFIG_SETTINGS_FS_DIR when it is missing. */
  init(): number {
    try {
      this.fs.stat(this.options.dir);
      return 0;
    } catch (error) {
      const rc = errnoOf(error);
      if (rc !== ENOENT) return rc;
    }
    try {
      this.fs.mkdir(this.options.dir);
      return 0;
    } catch (error) {
      return errnoOf(error);
    }
  }

  load(set: (name: string, value: Uint8Array) => void): number {
    const records = this.readAll();
    if (typeof records === 'number') return records;
    for (const record of liveRecords(records)) set(record.name, record.value);
    return 0;
  }

  save(name: string, value: Uint8Array): number {
    const records = this.readAll();
    // settings_line_dup_check_cb: the newest record of the name decides (none: not a duplicate).
    if (typeof records !== 'number') {
      const stored = records.filter((record) => record.name === name).at(-1);
      if (stored !== undefined && bytesEqual(stored.value, value)) return 0;
    }
    if (this.maxLines > 0 && this.lines + 1 >= this.maxLines) return this.saveAndCompress(name, value);
    try {
      const file = this.fs.open(this.options.file, FS_O_CREATE | FS_O_RDWR);
      try {
        file.seek(0, FS_SEEK_END);
        file.write(encodeRecord(name, value));
      } finally {
        file.close();
      }
      this.lines++;
      return 0;
    } catch (error) {
      return errnoOf(error);
    }
  }

  /** settings_file_load_priv: the whole file's records (opening creates it), or a negative errno. */
  private readAll(): SettingsRecord[] | number {
    let file: ReturnType<FileSystemApi['open']>;
    try {
      file = this.fs.open(this.options.file, FS_O_CREATE | FS_O_RDWR);
    } catch (error) {
      errnoOf(error);
      return EINVAL;
    }
    try {
      const chunks: Uint8Array[] = [];
      let total = 0;
      for (;;) {
        const chunk = file.read(READ_CHUNK);
        if (chunk.length === 0) break;
        chunks.push(chunk);
        total += chunk.length;
      }
      const bytes = new Uint8Array(total);
      let at = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, at);
        at += chunk.length;
      }
      const records = decodeRecords(bytes);
      this.lines = records.length;
      return records;
    } catch (error) {
      return errnoOf(error);
    } finally {
      try {
        file.close();
      } catch {
        // fs_close's failure is reported by the read's result already.
      }
    }
  }

  /** settings_file_save_and_compress. */
  private saveAndCompress(name: string, value: Uint8Array): number {
    const records = this.readAll();
    if (typeof records === 'number') return ENOEXEC;
    const temp = `${this.options.file}.cmp`;
    try {
      try {
        const entry = this.fs.stat(temp);
        if (entry.type !== 'file') return EISDIR;
        this.fs.unlink(temp);
      } catch (error) {
        if (errnoOf(error) !== ENOENT) return EIO;
      }
      const kept = liveRecords(records).filter((record) => record.name !== name);
      const out = this.fs.open(temp, FS_O_CREATE | FS_O_RDWR);
      try {
        for (const record of kept) out.write(encodeRecord(record.name, record.value));
        out.write(encodeRecord(name, value));
      } finally {
        out.close();
      }
      this.fs.unlink(this.options.file);
      this.fs.rename(temp, this.options.file);
      this.lines = kept.length + 1;
      return 0;
    } catch (error) {
      errnoOf(error);
      return EIO;
    }
  }
}
