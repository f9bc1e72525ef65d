/**
 * `runCli(argv, io)`: the whole zdfu CLI as a function returning an exit code, so the demo and the
 * tests drive it in-process.
 */
import type { Command } from 'commander';
import { GROUP_INSTALLERS } from '../groups/installed.ts';
import { registerBleCommands } from './ble.ts';
import { registerConnCommands } from './conn.ts';
import type { CliIo } from './context.ts';
import { registerDfuCommand } from './dfu.ts';
import { registerGatewayCommand } from './gateway.ts';
import { registerImgtoolCommands } from './imgtool/index.ts';
import { createProgram, runProgram } from './program.ts';
import { registerServeCommand } from './serve.ts';
import { registerSimCommand } from './sim.ts';

export {
  describeError,
  EXIT_ABORTED,
  EXIT_DEVICE_ERROR,
  EXIT_FAILURE,
  EXIT_NO_ANSWER,
  exitCodeFor,
  ZDFU_VERSION,
} from './program.ts';

export function buildProgram(io: CliIo): Command {
  const { program, context } = createProgram(io);
  registerConnCommands(program, context);
  for (const installer of GROUP_INSTALLERS) installer.cli?.(program, context);
  registerDfuCommand(program, context);
  registerSimCommand(program, context);
  registerServeCommand(program, context);
  registerBleCommands(program, context);
  registerGatewayCommand(program, context);
  registerImgtoolCommands(program, context);
  return program;
}

/** Runs one zdfu command line (without the node/script words) and returns its exit code. */
export function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  return runProgram(buildProgram(io), argv, io);
}
