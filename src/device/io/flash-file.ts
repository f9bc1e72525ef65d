// Keep a Flash in a file: loaded at start (a restart is a power cycle), and every write or erase
// is written through immediately, so a killed process loses nothing that reached the flash.
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import type { Flash } from '../flash.ts';

export interface PersistedFlash {
  path: string;
  /** True if the file existed with the right size and was loaded. */
  loaded: boolean;
  /** Stop writing through and close the file. */
  close(): void;
}

export function persistFlash(flash: Flash, path: string): PersistedFlash {
  let loaded = false;
  let fd: number;
  if (existsSync(path)) {
    fd = openSync(path, 'r+');
    if (fstatSync(fd).size === flash.size) {
      const buf = new Uint8Array(flash.size);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, got);
        if (n === 0) break;
        got += n;
      }
      flash.load(buf);
      loaded = true;
    }
  } else {
    fd = openSync(path, 'w+');
  }
  if (!loaded) {
    // New or wrong-sized file: start from the flash's current contents (erased when fresh).
    ftruncateSync(fd, flash.size);
    const contents = flash.contents();
    writeSync(fd, contents, 0, contents.length, 0);
  }
  let erasedFill = new Uint8Array(0);
  const unsubscribe = flash.onOperation((op) => {
    if (op.kind === 'write' && op.data) {
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
