/**
 * Download once per distribution: hawkBit gives every controller its own download link for the
 * same artifact, so the gateway keys its cache by the artifact's sha256 (and size) instead. Devices
 * asking for an artifact being downloaded wait for that one download. The DDI client checks size
 * and sha256 of every download, so only verified bytes enter the cache; a failed download is not
 * kept and the next device tries again. The cache is bounded by bytes: the least recently used
 * artifacts go first.
 */
import type { DdiArtifact } from '../ddi/client.ts';

export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

interface Entry {
  readonly size: number;
  readonly data: Promise<Uint8Array>;
  settled: boolean;
}

export class ArtifactCache {
  private readonly entries = new Map<string, Entry>();
  /** How many downloads were started (a test checks that a distribution is fetched once). */
  downloads = 0;

  constructor(readonly maxBytes: number = DEFAULT_CACHE_BYTES) {}

  /** Whether the artifact is cached or being downloaded. */
  has(artifact: DdiArtifact): boolean {
    return this.entries.has(keyOf(artifact));
  }

  /** The artifact's bytes, from the cache or from `download` (once, however many ask). */
  get(artifact: DdiArtifact, download: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const key = keyOf(artifact);
    const hit = this.entries.get(key);
    if (hit) {
      // Most recently used goes last, so eviction takes the oldest first.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.data;
    }
    this.downloads += 1;
    const entry: Entry = {
      size: artifact.size,
      settled: false,
      data: download().then(
        (data) => {
          entry.settled = true;
          this.evict();
          return data;
        },
        (error: unknown) => {
          if (this.entries.get(key) === entry) this.entries.delete(key);
          throw error;
        },
      ),
    };
    this.entries.set(key, entry);
    return entry.data;
  }

  private evict(): void {
    let total = 0;
    for (const entry of this.entries.values()) if (entry.settled) total += entry.size;
    for (const [key, entry] of this.entries) {
      if (total <= this.maxBytes) break;
      if (!entry.settled) continue;
      this.entries.delete(key);
      total -= entry.size;
    }
  }
}

function keyOf(artifact: DdiArtifact): string {
  return `${artifact.sha256.toLowerCase()}:${artifact.size}`;
}
