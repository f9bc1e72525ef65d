/**
 * The imgtool commands alone on the zdfu program: what `zdfu sign|verify|keygen|getpub|dumpinfo`
 * loads, so signing in a build script does not pay for the device side (CBOR, serial, PTY).
 */
import type { CliIo } from '../context.ts';
import { createProgram, runProgram } from '../program.ts';
import { registerImgtoolCommands } from './index.ts';

export function runImgtoolCli(argv: readonly string[], io: CliIo): Promise<number> {
  const { program, context } = createProgram(io);
  registerImgtoolCommands(program, context);
  return runProgram(program, argv, io);
}
