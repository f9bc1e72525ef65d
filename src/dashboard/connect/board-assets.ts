/**
 * Fetches what the in-tab virtual board needs (scripts/dashboard/assets.ts puts it beside the page
 * under board-assets/): the board list, a board's YAML, its MCUboot key and its firmware. URLs are
 * relative to the page, so the static build works from any folder.
 */
export interface BoardImageAsset {
  readonly file: string;
  readonly title: string;
  readonly version: string;
  /** What is special about it, e.g. "signed with a key this board does not trust". */
  readonly note?: string;
}

export interface BoardAssetEntry {
  readonly name: string;
  readonly description: string;
  readonly yaml: string;
  readonly key?: string;
  readonly signature: string;
  readonly factory: BoardImageAsset;
  readonly sample: BoardImageAsset;
  /** Binary Two signed with a key the board's MCUboot does not trust (absent for hash-only boards). */
  readonly wrongKey?: BoardImageAsset;
}

const ASSETS_DIR = 'board-assets';
const FETCH_TIMEOUT_MS = 15_000;

function assetUrl(file: string): string {
  return new URL(`${ASSETS_DIR}/${file}`, document.baseURI).toString();
}

async function fetchAsset(file: string): Promise<Response> {
  const url = assetUrl(file);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `could not load ${url} (${reason}): is the dashboard served with its board-assets folder?`,
    );
  }
  if (!response.ok) {
    throw new Error(`could not load ${url}: the server answered ${response.status} ${response.statusText}`);
  }
  return response;
}

let manifest: Promise<readonly BoardAssetEntry[]> | undefined;

/** The boards the page can run, from board-assets/manifest.json (fetched once). */
export function boardList(): Promise<readonly BoardAssetEntry[]> {
  manifest ??= fetchAsset('manifest.json')
    .then((r) => r.json() as Promise<{ boards: BoardAssetEntry[] }>)
    .then((m) => m.boards)
    .catch((error: unknown) => {
      manifest = undefined;
      throw error;
    });
  return manifest;
}

export async function fetchText(file: string): Promise<string> {
  return (await fetchAsset(file)).text();
}

export async function fetchBytes(file: string): Promise<Uint8Array> {
  return new Uint8Array(await (await fetchAsset(file)).arrayBuffer());
}
