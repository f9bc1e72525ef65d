/**
 * Builds the blinky firmware twice from one source (Binary One: CONFIG_BLINKY_FAST=n, Binary
 * Two: =y), writes each zephyr.bin and signs it for MCUboot into zephyr.signed.bin, plus a
 * manifest. Bundled by scripts/build.mjs into dist/build-firmware.mjs; both that file and this
 * one sit one folder below the repository root, which is how the root is found.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BLINKY_VARIANTS, buildZephyrBin } from '../firmware/build.ts';
import { ROM_START_OFFSET } from '../src/device/firmware/app-image.ts';
import { loadSigningKey } from '../src/image/keys.ts';
import { signImage } from '../src/image/sign.ts';

const KEY_FILE = 'keys/dev-rsa-2048.pem';
/** stm32f4_disco's image slots (slot0/slot1 partitions) are 384 KiB each. */
const SLOT_SIZE = 0x60000;
const OUTPUT_DIR = 'build/firmware';

async function readKey(root: string): Promise<string> {
  try {
    return await readFile(join(root, KEY_FILE), 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot read the signing key ${KEY_FILE} (needed to sign the blinky images): ${reason}`);
  }
}

async function buildFirmware(root: string): Promise<void> {
  const key = await loadSigningKey(await readKey(root));
  const images = [];
  for (const variant of BLINKY_VARIANTS) {
    const dir = join(root, OUTPUT_DIR, variant.name);
    await mkdir(dir, { recursive: true });
    const bin = await buildZephyrBin(root, variant);
    const signed = await signImage(bin, {
      key,
      headerSize: ROM_START_OFFSET,
      slotSize: SLOT_SIZE,
      version: variant.version,
      align: 1,
    });
    await writeFile(join(dir, 'zephyr.bin'), bin);
    await writeFile(join(dir, 'zephyr.signed.bin'), signed);
    images.push({
      name: variant.name,
      title: variant.title,
      version: variant.version,
      kconfig: variant.kconfig,
      bin: `${variant.name}/zephyr.bin`,
      file: `${variant.name}/zephyr.signed.bin`,
      binBytes: bin.length,
      signedBytes: signed.length,
    });
    console.log(
      `firmware: ${variant.title} ${variant.version} → ${relative(root, join(dir, 'zephyr.signed.bin'))}`,
    );
  }
  const manifest = {
    app: 'blinky',
    key: KEY_FILE,
    headerSize: ROM_START_OFFSET,
    slotSize: SLOT_SIZE,
    images,
  };
  await writeFile(join(root, OUTPUT_DIR, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

await buildFirmware(fileURLToPath(new URL('..', import.meta.url)));
