import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inspectFile } from '../../src/dashboard/model/image-file.ts';
import { blinkyImagePath } from '../../src/device/io/artifacts.ts';
import { formatIntelHex } from '../../src/image/hex.ts';

const signed = new Uint8Array(readFileSync(blinkyImagePath('blinky-two')));

describe('inspectFile (Image view)', () => {
  it('reads a signed image: version, hash, signature', () => {
    const file = inspectFile('zephyr.signed.bin', signed);
    if (!file.ok) throw new Error(file.problem);
    expect(file.summary.version).toBe('2.0.0+0');
    expect(file.summary.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(file.summary.signatures).toEqual(['RSA2048']);
    expect(file.summary.fileSize).toBe(signed.length);
  });

  it('reads the image an Intel HEX file holds', () => {
    const hex = formatIntelHex([[0x08040000, signed]]);
    const file = inspectFile('zephyr.signed.hex', new TextEncoder().encode(hex));
    if (!file.ok) throw new Error(file.problem);
    expect(file.bytes).toEqual(signed);
  });

  it('names the problem of a file that is not an image', () => {
    const file = inspectFile('notes.txt', new TextEncoder().encode('these are not the bytes\n'));
    expect(file.ok).toBe(false);
    if (file.ok) return;
    expect(file.problem).toContain('"notes.txt" (24 B) is not an MCUboot image');
    expect(file.problem).toContain('Pick a signed image');
  });

  it('tells an ELF file apart, and an empty one', () => {
    const elf = new Uint8Array(64);
    elf.set([0x7f, 0x45, 0x4c, 0x46]);
    const file = inspectFile('zephyr.elf', elf);
    expect(file.ok ? '' : file.problem).toContain('It is an ELF file');
    const empty = inspectFile('empty.bin', new Uint8Array());
    expect(empty.ok ? '' : empty.problem).toBe('"empty.bin" is empty (0 bytes): it is not an MCUboot image.');
  });
});
