/**
 * What the dashboard's in-tab virtual board needs from the repository, gathered in Node at build
 * (and dev-server) time: each built-in board's YAML, the development public key its MCUboot
 * trusts, and the blinky firmware signed for that board (Binary One as the factory image, Binary
 * Two as the sample update), plus a manifest the page reads. The files are served under
 * `board-assets/` relative to the page, so the static build works from any path.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Board, slotPartition } from '../../src/device/boards/board.ts';
import { DEV_KEYS } from '../../src/device/boards/bootloader-keys.ts';
import { builtinBoardDir, builtinBoards } from '../../src/device/boards/load.ts';
import { packageRoot } from '../../src/device/io/artifacts.ts';
import { blinkyImageFor } from '../../src/device/io/board-images.ts';
import { loadSigningKey } from '../../src/image/keys.ts';
import { signImage } from '../../src/image/sign.ts';

/** Folder (relative to the page) the assets are served from. */
export const ASSETS_DIR = 'board-assets';

/** One board in the manifest; paths are relative to ASSETS_DIR. */
export interface BoardAssetEntry {
  readonly name: string;
  readonly description: string;
  readonly yaml: string;
  /** Absent for boards whose MCUboot checks hashes only (signature: none). */
  readonly key?: string;
  readonly signature: string;
  readonly factory: { readonly file: string; readonly title: string; readonly version: string };
  readonly sample: { readonly file: string; readonly title: string; readonly version: string };
  /**
   * Binary Two signed with a development key this board's MCUboot does not trust (the other
   * signature type): the page offers it to show an update MCUboot refuses. Absent for boards that
   * check hashes only, which boot any intact image.
   */
  readonly wrongKey?: {
    readonly file: string;
    readonly title: string;
    readonly version: string;
    readonly note: string;
  };
}

export interface BoardAssetManifest {
  readonly boards: readonly BoardAssetEntry[];
}

/** The other development key: the one a board of `signature` does not trust. */
const OTHER_KEY: Readonly<Record<string, string>> = {
  'rsa-2048': 'ecdsa-p256',
  'ecdsa-p256': 'rsa-2048',
};

/** Binary Two signed with the development key of the other signature type. */
async function wrongKeyImage(board: Board, version: string): Promise<Uint8Array | undefined> {
  const other = OTHER_KEY[board.mcuboot.signature];
  const key = other === undefined ? undefined : DEV_KEYS[other as keyof typeof DEV_KEYS];
  if (!key) return undefined;
  const bin = readFileSync(join(packageRoot(), 'build', 'firmware', 'blinky-two', 'zephyr.bin'));
  return signImage(new Uint8Array(bin), {
    key: await loadSigningKey(readFileSync(join(packageRoot(), key.file), 'utf8')),
    // As scripts/build-firmware.ts signs: zephyr.bin leaves CONFIG_ROM_START_OFFSET for the header.
    headerSize: 0x200,
    slotSize: slotPartition(board, 0).size,
    version,
  });
}

/** File name (relative to ASSETS_DIR) → contents. */
export type AssetFiles = Map<string, Uint8Array | string>;

/** The boards the page offers: each built-in board with one application image. */
function offeredBoards(): Board[] {
  return [...builtinBoards().values()].filter((board) => board.mcuboot.imageNumber === 1);
}

interface FirmwareManifest {
  readonly images: ReadonlyArray<{ readonly name: string; readonly title: string; readonly version: string }>;
}

/** Title and version of a blinky variant, from the manifest `npm run build` writes. */
function firmwareInfo(name: 'blinky-one' | 'blinky-two'): { title: string; version: string } {
  const path = join(packageRoot(), 'build', 'firmware', 'manifest.json');
  let manifest: FirmwareManifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as FirmwareManifest;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot read ${path} (build the firmware first: npm run build): ${reason}`);
  }
  const image = manifest.images.find((i) => i.name === name);
  if (!image) throw new Error(`${path} lists no ${name} image`);
  return { title: image.title, version: image.version };
}

export async function collectDashboardAssets(): Promise<AssetFiles> {
  const files: AssetFiles = new Map();
  const one = firmwareInfo('blinky-one');
  const two = firmwareInfo('blinky-two');
  const boards: BoardAssetEntry[] = [];
  for (const board of offeredBoards()) {
    const yaml = `boards/${board.name}.yaml`;
    files.set(yaml, readFileSync(join(builtinBoardDir(), `${board.name}.yaml`), 'utf8'));
    const signature = board.mcuboot.signature;
    const devKey = signature === 'none' ? undefined : DEV_KEYS[signature];
    const key = devKey ? `keys/${signature}.pub.pem` : undefined;
    if (devKey && key) files.set(key, devKey.publicPem);
    const factory = `firmware/${board.name}/blinky-one.signed.bin`;
    const sample = `firmware/${board.name}/blinky-two.signed.bin`;
    files.set(factory, await blinkyImageFor(board, 'blinky-one'));
    files.set(sample, await blinkyImageFor(board, 'blinky-two'));
    const wrong = await wrongKeyImage(board, two.version);
    const wrongFile = `firmware/${board.name}/blinky-two.wrong-key.signed.bin`;
    if (wrong) files.set(wrongFile, wrong);
    boards.push({
      name: board.name,
      description: board.description,
      yaml,
      ...(key ? { key } : {}),
      signature,
      factory: { file: factory, ...one },
      sample: { file: sample, ...two },
      ...(wrong
        ? {
            wrongKey: { file: wrongFile, ...two, note: 'signed with a key this board does not trust' },
          }
        : {}),
    });
  }
  const manifest: BoardAssetManifest = { boards };
  files.set('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  return files;
}
