/**
 * The MCUboot model reads dependency TLVs as the real imgtool 2.5.0 writes them
 * (`imgtool sign --dependencies`): an app image needing network core ≥ 2.0.0 is held back while
 * the network core runs 1.0.0, and goes in together with a 2.0.0 network core.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwapType } from '../../src/image/trailer.ts';
import { body, HEADER_SIZE, pending, program, rig, upload } from '../device/mcuboot/fixtures.ts';
import { peerTool } from './peers.ts';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zdfu-mcuboot-deps-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function imgtoolSign(
  name: string,
  version: string,
  seed: number,
  slotSize: number,
  deps?: string,
): Uint8Array {
  writeFileSync(join(dir, `${name}.bin`), body(9000, seed));
  const args = [
    'sign',
    '-H',
    `0x${HEADER_SIZE.toString(16)}`,
    '--pad-header',
    '-S',
    `0x${slotSize.toString(16)}`,
  ];
  args.push('-v', version, '--align', '4');
  if (deps) args.push('-d', deps);
  args.push(join(dir, `${name}.bin`), join(dir, `${name}.signed.bin`));
  const r = spawnSync(peerTool('imgtool'), args, { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return new Uint8Array(readFileSync(join(dir, `${name}.signed.bin`)));
}

describe('dependency TLVs written by imgtool 2.5.0', () => {
  it('hold an app update back until the network core it needs is pending too', async () => {
    const r = rig('swap-move', { images: 2, sectors: 10 });
    const slot = r.image(0).primary.size;
    program(r.image(0).primary, imgtoolSign('app1', '1.0.0', 1, slot));
    program(r.image(1).primary, imgtoolSign('net1', '1.0.0', 2, slot));
    upload(r, imgtoolSign('app2', '2.0.0', 3, slot, '(1, 2.0.0)'), 0);
    pending(r, false, 0);
    const held = await r.boot();
    expect(held.images.map((i) => i.swapType)).toEqual([SwapType.NONE, SwapType.NONE]);
    expect(held.reason).toMatch(/^image 0 needs image 1 ≥ 2\.0\.0\+0, which would be 1\.0\.0\+0/);

    upload(r, imgtoolSign('net2', '2.0.0', 4, slot), 1);
    pending(r, false, 1);
    const both = await r.boot();
    expect(both.images.map((i) => i.swapType)).toEqual([SwapType.TEST, SwapType.TEST]);
  });
});
