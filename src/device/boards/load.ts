/**
 * Reads board files from disk (Node): the built-in boards are files in ./data, read the same way;
 * `--board FILE` reads the user's own. Parsing and checking are ./parse.ts's (pure).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { packageRoot } from '../io/artifacts.ts';
import type { Board } from './board.ts';
import { BoardFileError, boardFromText } from './parse.ts';

export { BoardFileError, boardFromData, boardFromText } from './parse.ts';

/** Folder of the built-in board files. */
export function builtinBoardDir(): string {
  return join(packageRoot(), 'src', 'device', 'boards', 'data');
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
