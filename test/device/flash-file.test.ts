import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Flash, PowerCut } from '../../src/device/flash.ts';
import { persistFlash } from '../../src/device/io/flash-file.ts';

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

  it('starts erased when the file has the wrong size', () => {
    const path = tmp();
    const p = persistFlash(new Flash({ sectors: [0x1000] }), path);
    p.close();
    const g = new Flash(geometry);
    const q = persistFlash(g, path);
    expect(q.loaded).toBe(false);
    expect(statSync(path).size).toBe(0x4000);
    q.close();
  });
});
