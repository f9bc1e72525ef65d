/**
 * Reads a board file (YAML: comments can cite the datasheet and the upstream .dts beside each
 * value, and offsets read in hex as in a devicetree), checks it, and names every problem with its
 * field: "slot1_partition: 0x110000..0x210000 overlaps ...". The built-in boards are files in
 * ./data, read the same way; `--board FILE` reads the user's own.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { Fault } from '../../util/fault.ts';
import { packageRoot } from '../io/artifacts.ts';
import type { Board } from './board.ts';
import { boardProblems } from './check.ts';
import { type BoardProblem, shapeProblems } from './schema.ts';

/** A board file that cannot be used, with every problem found in it. */
export class BoardFileError extends Error {
  override readonly name = 'BoardFileError';
  readonly fault: Fault = 'local';
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(
      problems.length === 1
        ? `board file ${file}: ${problems[0]}`
        : `board file ${file} has ${problems.length} problems: ${problems.join('; ')}`,
    );
  }
}

/** Folder of the built-in board files. */
export function builtinBoardDir(): string {
  return join(packageRoot(), 'src', 'device', 'boards', 'data');
}

/** Checks parsed board data; `file` names it in messages. */
export function boardFromData(data: unknown, file: string): Board {
  const { board, problems } = shapeProblems(data);
  const found = board ? boardProblems(board) : problems;
  if (found.length > 0 || !board)
    throw new BoardFileError(
      file,
      found.map((p) => describe(p, data)),
    );
  return board;
}

/** Parses and checks board file text (YAML; JSON is YAML too). */
export function boardFromText(text: string, file: string): Board {
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      throw new BoardFileError(file, [`is not valid YAML: ${error.message.split('\n')[0]}`]);
    }
    throw error;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new BoardFileError(file, [
      'must be a map of fields (name, flashDevices, partitions, mcuboot, ...)',
    ]);
  }
  return boardFromData(data, file);
}

/** Reads and checks a board file from disk. */
export function loadBoardFile(path: string): Board {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new BoardFileError(path, [`cannot be read (${code})`]);
  }
  return boardFromText(text, path);
}

let builtins: ReadonlyMap<string, Board> | undefined;

/** The built-in boards by name, read once. */
export function builtinBoards(): ReadonlyMap<string, Board> {
  if (builtins) return builtins;
  const dir = builtinBoardDir();
  const out = new Map<string, Board>();
  for (const entry of readdirSync(dir).sort()) {
    if (!entry.endsWith('.yaml')) continue;
    const board = loadBoardFile(join(dir, entry));
    if (board.name !== basename(entry, '.yaml')) {
      throw new BoardFileError(join(dir, entry), [`name is "${board.name}", but the file is named ${entry}`]);
    }
    out.set(board.name, board);
  }
  builtins = out;
  return out;
}

/** True when a --board value is a path rather than a built-in name. */
export function looksLikePath(value: string): boolean {
  return (
    /[/\\]/.test(value) ||
    /\.(ya?ml|json)$/i.test(value) ||
    (!builtinBoards().has(value) && existsSync(value))
  );
}

/** A built-in board by name, or the board file at a path. */
export function resolveBoard(nameOrPath: string): Board {
  const builtin = builtinBoards().get(nameOrPath);
  if (builtin) return builtin;
  if (looksLikePath(nameOrPath)) return loadBoardFile(nameOrPath);
  throw new BoardFileError(nameOrPath, [
    `is neither a built-in board (${[...builtinBoards().keys()].join(', ')}) nor a board file`,
  ]);
}

/** "partitions[2] (slot1_partition).size: is missing". */
function describe(problem: BoardProblem, data: unknown): string {
  let where = '';
  let value: unknown = data;
  for (const key of problem.path) {
    value =
      value !== null && typeof value === 'object'
        ? (value as Record<string | number, unknown>)[key]
        : undefined;
    if (typeof key === 'number') {
      where += `[${key}]`;
      const named = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
      const id =
        typeof named.label === 'string' ? named.label : typeof named.id === 'string' ? named.id : undefined;
      if (id !== undefined) where += ` (${id})`;
    } else {
      where += where === '' ? key : `.${key}`;
    }
  }
  return where === '' ? problem.message : `${where}: ${problem.message}`;
}
