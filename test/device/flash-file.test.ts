import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Flash, PowerCut } from '../../src/device/flash.ts';
import { FlashFileError, persistFlash } from '../../src/device/io/flash-file.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'zdfu-flash-'));
  dirs.push(d);
  return join(d, 'flash.bin');
}

const geometry = { sectors: [0x1000, 0x1000, 0x2000] };

describe('persistFlash', () => {
  it('creates an erased file and writes every operation through', () => {
    const path = tmp();
    const f = new Flash(geometry);
    const p = persistFlash(f, path);
    expect(p.loaded).toBe(false);
    expect(statSync(path).size).toBe(0x4000);
    f.write(0x1000, Uint8Array.of(1, 2, 3));
    expect(Array.from(readFileSync(path).subarray(0x1000, 0x1004))).toEqual([1, 2, 3, 0xff]);
    f.erase(0x1000, 0x1000);
    expect(readFileSync(path)[0x1000]).toBe(0xff);
    p.close();
  });

  it('reloads the contents on restart, including what was written before a power cut', () => {
    const path = tmp();
    const f = new Flash(geometry);
    const p = persistFlash(f, path);
    f.write(0, Uint8Array.of(9));
    f.cutPowerBefore(1);
    expect(() => f.write(1, Uint8Array.of(8))).toThrow(PowerCut);
    p.close();
    const g = new Flash(geometry);
    const q = persistFlash(g, path);
    expect(q.loaded).toBe(true);
    expect(Array.from(g.read(0, 2))).toEqual([9, 0xff]);
    q.close();
  });

  it('refuses a file of the wrong size and leaves it byte-identical', () => {
    const path = tmp();
    const bytes = Uint8Array.from({ length: 0x1234 }, (_, i) => i & 0xff);
    writeFileSync(path, bytes);
    expect(() => persistFlash(new Flash(geometry), path, { boardName: 'stm32f4_disco' })).toThrow(
      /is 4660 bytes, but the stm32f4_disco flash is 16384 bytes \(16 KiB\).*--new-flash/,
    );
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
  });

  it('refuses an empty file too', () => {
    const path = tmp();
    writeFileSync(path, new Uint8Array(0));
    expect(() => persistFlash(new Flash(geometry), path)).toThrow(FlashFileError);
    expect(statSync(path).size).toBe(0);
  });

  it('starts a new erased flash over any file when asked (fresh)', () => {
    const path = tmp();
    writeFileSync(path, new Uint8Array(10).fill(7));
    const g = new Flash(geometry);
    const q = persistFlash(g, path, { fresh: true });
    expect(q.loaded).toBe(false);
    expect(new Uint8Array(readFileSync(path))).toEqual(new Uint8Array(0x4000).fill(0xff));
    q.close();
  });

  it('fresh also discards a flash file of the right size', () => {
    const path = tmp();
    writeFileSync(path, new Uint8Array(0x4000).fill(0));
    const q = persistFlash(new Flash(geometry), path, { fresh: true });
    expect(readFileSync(path)[0]).toBe(0xff);
    q.close();
  });
});
