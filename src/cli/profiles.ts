/**
 * Connection profiles, like mcumgr's ~/.mcumgr.cp.json: a JSON file in $ZDFU_HOME or ~/.zdfu/.
 * Writes go to a temporary file first and are renamed into place, so a crash never leaves a
 * half-written file.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ConnType } from '../transport/kinds/kind.ts';
import { connTypeList, connTypes, isConnType, parseConnString } from '../transport/kinds/registry.ts';
import { CliError } from './errors.ts';

export interface ConnProfile {
  readonly name: string;
  readonly type: ConnType;
  readonly connstring: string;
}

/** An entry of the file that is not a usable profile, kept as it is so that nothing is lost. */
export interface BrokenProfile {
  /** 1-based position in the file's list. */
  readonly index: number;
  readonly name: string | undefined;
  /** The field that is missing or wrong. */
  readonly field: 'entry' | 'name' | 'type' | 'connstring';
  readonly problem: string;
  readonly raw: unknown;
}

interface ProfileFile {
  readonly profiles: ConnProfile[];
  readonly broken: BrokenProfile[];
}

export const PROFILES_FILE_NAME = 'connections.json';

export function zdfuHome(env: Readonly<Record<string, string | undefined>>): string {
  const fromEnv = env.ZDFU_HOME;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homedir(), '.zdfu');
}

export class ProfileStore {
  readonly file: string;

  constructor(readonly home: string) {
    this.file = join(home, PROFILES_FILE_NAME);
  }

  list(): ConnProfile[] {
    return this.read().profiles;
  }

  /** Entries of the file that are not usable profiles (each says what is wrong and how to fix it). */
  broken(): string[] {
    return this.read().broken.map((entry) => this.describeBroken(entry));
  }

  get(name: string): ConnProfile {
    const file = this.read();
    const found = file.profiles.find((p) => p.name === name);
    if (found !== undefined) return found;
    const broken = file.broken.find((p) => p.name === name);
    if (broken !== undefined) throw new CliError(this.describeBroken(broken));
    throw new CliError(
      `Unknown connection profile "${name}"; add it with \`zdfu conn add ${name} type=...\`.`,
    );
  }

  /** The sentence for a profile whose `field` is wrong: which profile, which field, how to repair it. */
  repairError(name: string, field: string, problem: string): CliError {
    return new CliError(
      `Connection profile "${name}" in ${this.file} has a bad ${field}: ${problem.replace(/\.$/, '')}. ` +
        `Repair it with \`zdfu conn add ${name} type=${connTypes().join('|')} connstring=...\`, or edit ${this.file}.`,
    );
  }

  private describeBroken(entry: BrokenProfile): string {
    if (entry.name !== undefined) return this.repairError(entry.name, entry.field, entry.problem).message;
    return (
      `Connection profile #${entry.index} in ${this.file} is unusable: ${entry.problem}. ` +
      `Edit ${this.file} to fix or remove it.`
    );
  }

  /** Adds or replaces a profile (mcumgr replaces an existing name too). */
  add(profile: ConnProfile): void {
    if (!/^[A-Za-z0-9_.-]+$/.test(profile.name)) {
      throw new CliError(`Profile name "${profile.name}" may only use letters, digits, "_", "." and "-".`);
    }
    parseConnString(profile.type, profile.connstring);
    const file = this.read();
    const profiles = file.profiles.filter((p) => p.name !== profile.name);
    profiles.push({ name: profile.name, type: profile.type, connstring: profile.connstring });
    // A broken entry of the same name is what this add repairs; other broken ones stay as they are.
    this.write(
      profiles,
      file.broken.filter((p) => p.name !== profile.name),
    );
  }

  delete(name: string): void {
    const file = this.read();
    const kept = file.profiles.filter((p) => p.name !== name);
    const keptBroken = file.broken.filter((p) => p.name !== name);
    if (kept.length === file.profiles.length && keptBroken.length === file.broken.length)
      throw new CliError(`Unknown connection profile "${name}"; nothing deleted.`);
    this.write(kept, keptBroken);
  }

  private read(): ProfileFile {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if (isNodeError(err) && err.code === 'ENOENT') return { profiles: [], broken: [] };
      throw new CliError(`Cannot read connection profiles from ${this.file}: ${describe(err)}.`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new CliError(
        `Connection profile file ${this.file} is not valid JSON (${describe(err)}); fix it, or delete it and add the profiles again with \`zdfu conn add\`.`,
      );
    }
    return sortProfiles(parsed, this.file);
  }

  private write(profiles: ConnProfile[], broken: readonly BrokenProfile[]): void {
    const entries: unknown[] = [...profiles, ...broken.map((b) => b.raw)];
    entries.sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
    mkdirSync(this.home, { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify({ profiles: entries }, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.file);
  }
}

function nameOf(entry: unknown): string {
  return isRecord(entry) && typeof entry.name === 'string' ? entry.name : '';
}

/** Splits the file's list into usable profiles and broken entries that say what is wrong. */
function sortProfiles(parsed: unknown, file: string): ProfileFile {
  const list = isRecord(parsed) ? parsed.profiles : undefined;
  if (!Array.isArray(list)) {
    throw new CliError(
      `Connection profile file ${file} has no "profiles" list; fix it, or delete it and add the profiles again with \`zdfu conn add\`.`,
    );
  }
  const profiles: ConnProfile[] = [];
  const broken: BrokenProfile[] = [];
  list.forEach((raw: unknown, i) => {
    const index = i + 1;
    if (!isRecord(raw)) {
      broken.push({ index, name: undefined, field: 'entry', problem: 'it is not an object', raw });
      return;
    }
    if (typeof raw.name !== 'string' || raw.name === '') {
      broken.push({ index, name: undefined, field: 'name', problem: 'it has no "name"', raw });
      return;
    }
    const name = raw.name;
    if (typeof raw.type !== 'string' || !isConnType(raw.type)) {
      const problem =
        raw.type === undefined
          ? `it is missing (it must be ${connTypeList(true)})`
          : `${JSON.stringify(raw.type)} is not ${connTypeList(true)}`;
      broken.push({ index, name, field: 'type', problem, raw });
      return;
    }
    if (typeof raw.connstring !== 'string') {
      broken.push({ index, name, field: 'connstring', problem: 'it is missing or not a string', raw });
      return;
    }
    profiles.push({ name, type: raw.type, connstring: raw.connstring });
  });
  return { profiles, broken };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNodeError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && 'code' in err;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
