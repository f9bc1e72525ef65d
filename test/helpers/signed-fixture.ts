/** A test firmware (test/firmware/fixtures/NAME.ts) built and signed like Binary One and Two. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildZephyrBin } from '../../firmware/build.ts';
import { ROM_START_OFFSET } from '../../src/device/firmware/app-image.ts';
import { parseImage } from '../../src/image/format.ts';
import { loadSigningKey } from '../../src/image/keys.ts';
import { signImage } from '../../src/image/sign.ts';
import { fixture, ROOT } from '../firmware/helpers.ts';

/** stm32f4_disco's slot size, as the blinky images are signed for. */
const SLOT_SIZE = 0x60000;

export async function signedFixture(name: string, version: string): Promise<Uint8Array> {
  const key = await loadSigningKey(readFileSync(join(ROOT, 'keys', 'dev-rsa-2048.pem'), 'utf8'));
  const bin = await buildZephyrBin(ROOT, fixture(name));
  return signImage(bin, { key, headerSize: ROM_START_OFFSET, slotSize: SLOT_SIZE, version });
}

/** The SHA256 TLV that `image list` shows for a signed image. */
export function imageHash(image: Uint8Array): Uint8Array {
  const hash = parseImage(image).sha256Hash;
  if (!hash) throw new Error('the image has no SHA256 TLV');
  return hash;
}
