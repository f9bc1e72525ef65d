/**
 * The gateway's memory across restarts: for each device with an update under way, which hawkBit
 * action it is, how far it got, and any final feedback not yet delivered. A gateway killed
 * mid-rollout reads it back and resumes each such device or reports it, so no action is left
 * running on the server with nobody working on it.
 *
 * The file is JSON, replaced as a whole by writing a temporary file and renaming it over the old
 * one (rename is atomic on POSIX file systems), so a crash leaves the old or the new state, never
 * half of one. Writes are coalesced: at most one in flight and one waiting, whatever the number of
 * changes meanwhile.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DdiFeedback } from '../ddi/client.ts';

/**
 * How far an update got. Before `marked` it can still be cancelled (nothing is installed);
 * from `marked` on MCUboot will boot the image at the next reset.
 */
export type JournalStage = 'assigned' | 'downloading' | 'uploading' | 'marked' | 'reset' | 'finishing';

export interface JournalEntry {
  actionId: string;
  stage: JournalStage;
  /** The distribution (chunk name and version). */
  target: { name: string; version: string };
  /** The artifact's sha256 (hex), once known. */
  sha256?: string;
  /** The final feedback, kept until hawkBit has taken it. */
  pending?: DdiFeedback;
  /** The gateway already refused a cancel of this action (too late): do not answer twice. */
  cancelRefused?: boolean;
  startedAt: number;
  updatedAt: number;
}

interface JournalFile {
  version: 1;
  devices: Record<string, JournalEntry>;
}

export class JournalError extends Error {
  override readonly name = 'JournalError';
  readonly fault = 'local' as const;
}

export class Journal {
  private readonly entries = new Map<string, JournalEntry>();
  private writing: Promise<void> | undefined;
  private dirty = false;
  private lastError: unknown;

  private constructor(readonly file: string | undefined) {}

  /** Reads `file` (a missing file is an empty journal); undefined keeps the journal in memory only. */
  static async open(file: string | undefined): Promise<Journal> {
    const journal = new Journal(file);
    if (file === undefined) return journal;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return journal;
      throw new JournalError(`cannot read the gateway state file ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    for (const [id, entry] of Object.entries(parseJournal(text, file).devices))
      journal.entries.set(id, entry);
    return journal;
  }

  get(controllerId: string): JournalEntry | undefined {
    const entry = this.entries.get(controllerId);
    return entry === undefined ? undefined : structuredClone(entry);
  }

  /** Every device with an entry (for the report at start-up). */
  ids(): string[] {
    return [...this.entries.keys()];
  }

  set(controllerId: string, entry: JournalEntry): void {
    this.entries.set(controllerId, structuredClone(entry));
    this.schedule();
  }

  delete(controllerId: string): void {
    if (this.entries.delete(controllerId)) this.schedule();
  }

  /** Waits until every change so far is on disk; throws the last write's error, if any. */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
    if (this.lastError !== undefined) {
      const error = this.lastError;
      this.lastError = undefined;
      throw error;
    }
  }

  private schedule(): void {
    if (this.file === undefined) return;
    this.dirty = true;
    if (this.writing !== undefined) return;
    this.writing = this.writeLoop(this.file).finally(() => {
      this.writing = undefined;
    });
  }

  private async writeLoop(file: string): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      const body: JournalFile = { version: 1, devices: Object.fromEntries(this.entries) };
      const temp = `${file}.${process.pid}.tmp`;
      try {
        await mkdir(dirname(file), { recursive: true });
        await writeFile(temp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
        await rename(temp, file);
        this.lastError = undefined;
      } catch (error) {
        await rm(temp, { force: true }).catch(() => undefined);
        this.lastError = new JournalError(
          `cannot write the gateway state file ${file}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
  }
}

const STAGES: readonly JournalStage[] = [
  'assigned',
  'downloading',
  'uploading',
  'marked',
  'reset',
  'finishing',
];

function parseJournal(text: string, file: string): JournalFile {
  const fix = `move ${file} away to start afresh (hawkBit then shows those devices' actions as still running until they are re-assigned or cancelled)`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new JournalError(
      `the gateway state file ${file} is not JSON (${(error as Error).message}); ${fix}`,
    );
  }
  if (!isRecord(parsed) || parsed.version !== 1 || !isRecord(parsed.devices)) {
    throw new JournalError(
      `the gateway state file ${file} is not a zdfu gateway journal (version 1 with a "devices" map); ${fix}`,
    );
  }
  for (const [id, entry] of Object.entries(parsed.devices)) {
    if (
      !isRecord(entry) ||
      typeof entry.actionId !== 'string' ||
      !STAGES.includes(entry.stage as JournalStage) ||
      !isRecord(entry.target) ||
      typeof entry.target.name !== 'string' ||
      typeof entry.target.version !== 'string' ||
      typeof entry.startedAt !== 'number' ||
      typeof entry.updatedAt !== 'number'
    ) {
      throw new JournalError(
        `the gateway state file ${file} has a broken entry for device "${id}" (it needs actionId, stage, target, startedAt, updatedAt); ${fix}`,
      );
    }
  }
  return parsed as unknown as JournalFile;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
