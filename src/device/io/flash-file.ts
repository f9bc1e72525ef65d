// Keep a Flash in a file: loaded at start (a restart is a power cycle), and every write or erase
// is written through immediately, so a killed process loses nothing that reached the flash.
// A file that is there but is not this board's flash (wrong size: a signed image given by
// mistake, a truncated copy) is never overwritten unless the user asks for a new flash.
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Fault } from '../../util/fault.ts';
import type { Flash } from '../flash.ts';

export interface PersistedFlash {
  path: string;
  /** True if the file existed with the right size and was loaded. */
  loaded: boolean;
  /** Stop writing through and close the file. */
  close(): void;
}

export interface PersistOptions {
  /** Named in messages ("the stm32f4_disco flash"). */
  boardName?: string;
  /** Start from an erased flash, replacing whatever the file holds (`--new-flash`). */
  fresh?: boolean;
  /** Flash sizes of the other boards, by board name: a file of such a size is probably theirs. */
  otherBoards?: Readonly<Record<string, number>>;
}

const FILE_CHUNK = 64 * 1024;

/** The file given as the flash is not one; nothing was written to it. */
export class FlashFileError extends Error {
  override readonly name = 'FlashFileError';
  readonly fault: Fault = 'local';
}

export function persistFlash(flash: Flash, path: string, options: PersistOptions = {}): PersistedFlash {
  const what = options.boardName ? `the ${options.boardName} flash` : 'the flash';
  const exists = existsSync(path);
  if (exists && !statSync(path).isFile()) {
    throw new FlashFileError(`${path} is not a regular file, so it cannot hold ${what}.`);
  }
  const fd = openFlashFile(path, exists && !options.fresh ? 'r+' : 'w+');
  let loaded = false;
  try {
    if (exists && !options.fresh) {
      const size = fstatSync(fd).size;
      if (size !== flash.size) throw wrongSize(path, size, flash.size, what, options.otherBoards ?? {});
      readWhole(fd, flash);
      loaded = true;
    } else {
      // New file (or --new-flash): start from the flash's current contents (erased when fresh),
      // a chunk at a time: the flash is held sparsely and need not be made whole in memory.
      for (let at = 0; at < flash.size; at += FILE_CHUNK) {
        const chunk = flash.peek(at, Math.min(FILE_CHUNK, flash.size - at));
        writeSync(fd, chunk, 0, chunk.length, at);
      }
    }
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  let erasedFill = new Uint8Array(0);
  const unsubscribe = flash.onOperation((op) => {
    // A write, or any operation a power cut left half done: its data is what the range holds now.
    if (op.data) {
      writeSync(fd, op.data, 0, op.length, op.offset);
    } else if (op.kind === 'erase') {
      if (erasedFill.length < op.length) erasedFill = new Uint8Array(op.length).fill(flash.eraseValue);
      writeSync(fd, erasedFill, 0, op.length, op.offset);
    }
  });
  let open = true;
  return {
    path,
    loaded,
    close() {
      if (!open) return;
      open = false;
      unsubscribe();
      closeSync(fd);
    },
  };
}

/** A file of the wrong size; when its size is another board's flash size, it is probably theirs. */
function wrongSize(
  path: string,
  size: number,
  expected: number,
  what: string,
  otherBoards: Readonly<Record<string, number>>,
): FlashFileError {
  const head = `${path} is ${size} bytes, but ${what} is ${expected} bytes (${sizeText(expected)})`;
  // Several boards can share a flash size (every 1 MiB nRF52840 and STM32F407): name them all.
  const owners = Object.entries(otherBoards)
    .filter(([, boardSize]) => boardSize === size)
    .map(([name]) => name);
  if (owners.length > 0) {
    const who =
      owners.length === 1
        ? `the ${owners[0]} flash`
        : `the flash of ${owners.slice(0, -1).join(', ')} or ${owners.at(-1)}`;
    return new FlashFileError(
      `${head}. ${sizeText(size)} is the size of ${who}: it is probably that board's flash file, ` +
        `and it was left untouched. Add --board ${owners.length === 1 ? owners[0] : 'with its name'} to run it; or give another --flash file.`,
    );
  }
  return new FlashFileError(
    `${head}: it is not a flash file of this board (a signed image or a copy cut short?) and was left untouched. ` +
      `Give another --flash file, or add --new-flash to replace ${path} with a new, erased flash.`,
  );
}

function openFlashFile(path: string, mode: 'r+' | 'w+'): number {
  try {
    return openSync(path, mode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    if (code === 'ENOENT' && !existsSync(dirname(path))) {
      throw new FlashFileError(
        `cannot create the flash file ${path}: the folder ${dirname(path)} does not exist (ENOENT). ` +
          'Create it first, or give a --flash path in an existing folder.',
      );
    }
    throw new FlashFileError(`cannot open the flash file ${path} (${code}).`);
  }
}

function readWhole(fd: number, flash: Flash): void {
  const buf = new Uint8Array(flash.size);
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, got);
    if (n === 0) break;
    got += n;
  }
  flash.load(buf);
}

function sizeText(bytes: number): string {
  if (bytes % 0x100000 === 0) return `${bytes / 0x100000} MiB`;
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}
