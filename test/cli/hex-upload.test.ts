/**
 * `image upload` of an Intel HEX sends the image it holds (as `zdfu sign` / `imgtool sign` write
 * it), not the HEX text; a HEX holding anything else is refused in words.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { imageFromIntelHex } from '../../src/cli/image-file.ts';
import { runCli } from '../../src/cli/run.ts';
import { formatIntelHex } from '../../src/image/hex.ts';
import { FakeSmpDevice } from '../client/fake-smp-device.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'zdfu-hex-'));
  // An application built for MCUboot: header room first, then code.
  const app = new Uint8Array(32 + 3000);
  for (let i = 32; i < app.length; i++) app[i] = (i * 7) & 0xff;
  writeFileSync(join(dir, 'app.bin'), app);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const p = (name: string) => join(dir, name);

async function zdfu(args: string[], device?: FakeSmpDevice) {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: { ZDFU_HOME: dir },
    openTransport: async () => {
      if (device === undefined) throw new Error('no device in this test');
      return device.connect();
    },
  });
  return { code, out, err };
}

const SIGN = ['sign', '-H', '32', '-S', '0x8000', '-v', '1.2.3'];
const udp = ['--conntype', 'udp', '--connstring', '127.0.0.1:1337'];

describe('image upload of a .hex', () => {
  it('sends the image a signed HEX holds, the same bytes as the .bin', async () => {
    expect((await zdfu([...SIGN, p('app.bin'), p('app.signed.bin')])).code).toBe(0);
    expect((await zdfu([...SIGN, '-x', '0x08020000', p('app.bin'), p('app.signed.hex')])).code).toBe(0);
    const bin = new Uint8Array(readFileSync(p('app.signed.bin')));
    const device = new FakeSmpDevice({ mtu: 256, imageCheck: true });
    const run = await zdfu([...udp, '--json', 'image', 'upload', p('app.signed.hex')], device);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ bytes: bin.length, version: '1.2.3', match: true });
    expect(device.stored(bin.length)).toEqual(bin);
  });

  it('a --pad HEX (image, then magic and image_ok at the slot end) is sent as the padded image', async () => {
    expect((await zdfu([...SIGN, '--pad', '--confirm', p('app.bin'), p('padded.bin')])).code).toBe(0);
    const hexArgs = [...SIGN, '--pad', '--confirm', '-x', '0x10000', p('app.bin'), p('padded.hex')];
    expect((await zdfu(hexArgs)).code).toBe(0);
    const padded = new Uint8Array(readFileSync(p('padded.bin')));
    expect(padded.length).toBe(0x8000);
    const device = new FakeSmpDevice({ mtu: 256, imageCheck: true, slotSize: 0x8000 });
    const run = await zdfu([...udp, 'image', 'upload', p('padded.hex')], device);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(device.stored(padded.length)).toEqual(padded);
  });

  it('refuses a HEX that holds more than one image, naming its regions', async () => {
    expect((await zdfu([...SIGN, p('app.bin'), p('app.signed.bin')])).code).toBe(0);
    const image = new Uint8Array(readFileSync(p('app.signed.bin')));
    // A merged HEX: a bootloader at 0x08000000 and the image at 0x08020000.
    const merged = formatIntelHex([
      [0x08000000, new Uint8Array(256).fill(0x11)],
      [0x08020000, image],
    ]);
    writeFileSync(p('merged.hex'), merged);
    const device = new FakeSmpDevice({ mtu: 256 });
    const run = await zdfu([...udp, 'image', 'upload', p('merged.hex')], device);
    expect(run.code).toBe(1);
    const end = (0x08020000 + image.length - 1).toString(16).toUpperCase().padStart(8, '0');
    expect(run.err).toBe(
      `Error: ${p('merged.hex')} holds 2 separate regions (0x08000000–0x080000FF, 0x08020000–0x${end}), ` +
        'not one MCUboot image: an upload sends one image (with, when signed with --pad, its trailer at the ' +
        'slot end). Upload the signed .bin, or a HEX that holds only the image.\n',
    );
    expect(device.uploads).toHaveLength(0);
  });

  it('says when a .hex is not Intel HEX at all', async () => {
    writeFileSync(p('bad.hex'), 'hello\n');
    const run = await zdfu([...udp, 'image', 'upload', p('bad.hex')], new FakeSmpDevice());
    expect(run.code).toBe(1);
    expect(run.err).toMatch(new RegExp(`^Error: ${p('bad.hex')}: not a valid Intel HEX file: .*\\n$`));
  });

  it('an image followed by other data that is not a trailer is refused too', () => {
    const text = formatIntelHex([
      [0x1000, new Uint8Array(64).fill(1)],
      [0x3000, new Uint8Array(16).fill(2)],
    ]);
    expect(() => imageFromIntelHex(text, 'x.hex')).toThrow(/^x\.hex holds 2 separate regions/);
  });
});
