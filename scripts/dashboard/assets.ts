/**
 * What the dashboard's in-tab virtual board needs from the repository, gathered in Node at build
 * (and dev-server) time: each built-in board's YAML, the development public key its MCUboot
 * trusts, and the blinky firmware signed for that board (Binary One as the factory image, Binary
 * Two as the sample update), plus a manifest the page reads. The files are served under
 * `board-assets/` relative to the page, so the static build works from any path.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Board } from '../../src/device/boards/board.ts';
import { DEV_KEYS } from '../../src/device/boards/bootloader-keys.ts';
import { builtinBoardDir, builtinBoards } from '../../src/device/boards/load.ts';
import { packageRoot } from '../../src/device/io/artifacts.ts';
import { blinkyImageFor } from '../../src/device/io/board-images.ts';

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
}

export interface BoardAssetManifest {
  readonly boards: readonly BoardAssetEntry[];
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
    boards.push({
      name: board.name,
      description: board.description,
      yaml,
      ...(key ? { key } : {}),
      signature,
      factory: { file: factory, ...one },
      sample: { file: sample, ...two },
    });
  }
  const manifest: BoardAssetManifest = { boards };
  files.set('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  return files;
}
