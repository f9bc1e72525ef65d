/**
 * Connection profiles, like mcumgr's ~/.mcumgr.cp.json: a JSON file in $ZDFU_HOME or ~/.zdfu/.
 * Writes go to a temporary file first and are renamed into place, so a crash never leaves a
 * half-written file.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type ConnType, isConnType, parseConnString } from '../client/connstring.ts';
import { CliError } from './errors.ts';

export interface ConnProfile {
  readonly name: string;
  readonly type: ConnType;
  readonly connstring: string;
}

interface ProfileFile {
  readonly profiles: ConnProfile[];
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

  get(name: string): ConnProfile {
    const found = this.list().find((p) => p.name === name);
    if (found === undefined) {
      throw new CliError(
        `Unknown connection profile "${name}"; add it with \`zdfu conn add ${name} type=...\`.`,
      );
    }
    return found;
  }

  /** Adds or replaces a profile (mcumgr replaces an existing name too). */
  add(profile: ConnProfile): void {
    if (!/^[A-Za-z0-9_.-]+$/.test(profile.name)) {
      throw new CliError(`Profile name "${profile.name}" may only use letters, digits, "_", "." and "-".`);
    }
    parseConnString(profile.type, profile.connstring);
    const profiles = this.list().filter((p) => p.name !== profile.name);
    profiles.push({ name: profile.name, type: profile.type, connstring: profile.connstring });
    profiles.sort((a, b) => a.name.localeCompare(b.name));
    this.write({ profiles });
  }

  delete(name: string): void {
    const profiles = this.list();
    const kept = profiles.filter((p) => p.name !== name);
    if (kept.length === profiles.length)
      throw new CliError(`Unknown connection profile "${name}"; nothing deleted.`);
    this.write({ profiles: kept });
  }

  private read(): ProfileFile {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if (isNodeError(err) && err.code === 'ENOENT') return { profiles: [] };
      throw new CliError(`Cannot read connection profiles from ${this.file}: ${describe(err)}.`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new CliError(`Connection profile file ${this.file} is not valid JSON (${describe(err)}).`);
    }
    return { profiles: validateProfiles(parsed, this.file) };
  }

  private write(content: ProfileFile): void {
    mkdirSync(this.home, { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.file);
  }
}

function validateProfiles(parsed: unknown, file: string): ConnProfile[] {
  const list = isRecord(parsed) ? parsed.profiles : undefined;
  if (!Array.isArray(list)) throw new CliError(`Connection profile file ${file} has no "profiles" list.`);
  return list.map((entry: unknown, index) => {
    if (
      !isRecord(entry) ||
      typeof entry.name !== 'string' ||
      typeof entry.type !== 'string' ||
      !isConnType(entry.type) ||
      typeof entry.connstring !== 'string'
    ) {
      throw new CliError(`Connection profile #${index + 1} in ${file} is malformed.`);
    }
    return { name: entry.name, type: entry.type, connstring: entry.connstring };
  });
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
