/**
 * Parses and checks a board file's text (YAML: comments can cite the datasheet and the upstream
 * .dts beside each value, and offsets read in hex as in a devicetree), naming every problem with
 * its field: "slot1_partition: 0x110000..0x210000 overlaps ...". Pure (no Node imports): the
 * browser's virtual board parses the text its page gives it; ./load.ts reads files from disk.
 */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { Fault } from '../../util/fault.ts';
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
