/**
 * Shell command registration (zephyr/shell/shell.h): SHELL_CMD_REGISTER, SHELL_CMD_ARG,
 * SHELL_STATIC_SUBCMD_SET_CREATE and shell_print / shell_error / shell_warn. A command's handler
 * gets (sh, argc, argv) as in C and returns 0 or a negative errno; what it prints through `sh`
 * goes to whichever shell backend ran it (here the SMP shell group's dummy backend). The table
 * stays in the firmware; the host only learns its shape, and calls back in to run a command.
 */
import type { ShellCommandSpec, ShellRunResult } from '../host.ts';
import { zephyrHost } from '../host.ts';
import { formatPrintf, type PrintfArg } from '../printf.ts';

/** The shell instance a handler prints to. */
export interface Shell {
  /** Appends text to the shell's output. */
  write(text: string): void;
}

export type ShellCmdHandler = (sh: Shell, argc: number, argv: readonly string[]) => number | Promise<number>;

/** One static entry: a command or subcommand (struct shell_static_entry). */
export interface ShellStaticEntry {
  readonly syntax: string;
  readonly help: string;
  readonly handler: ShellCmdHandler | undefined;
  readonly subcmd: readonly ShellStaticEntry[] | undefined;
  /** Mandatory arguments, the command itself included. */
  readonly mandatory: number;
  readonly optional: number;
}

/** SHELL_CMD_ARG(syntax, subcmd, help, handler, mand, opt). */
export function SHELL_CMD_ARG(
  syntax: string,
  subcmd: readonly ShellStaticEntry[] | undefined,
  help: string,
  handler: ShellCmdHandler | undefined,
  mandatory: number,
  optional: number,
): ShellStaticEntry {
  return { syntax, help, handler, subcmd, mandatory, optional };
}

/** SHELL_CMD(syntax, subcmd, help, handler): any number of arguments (mand 0, opt 0 = unchecked). */
export function SHELL_CMD(
  syntax: string,
  subcmd: readonly ShellStaticEntry[] | undefined,
  help: string,
  handler: ShellCmdHandler | undefined,
): ShellStaticEntry {
  return SHELL_CMD_ARG(syntax, subcmd, help, handler, 0, 0);
}

/** SHELL_STATIC_SUBCMD_SET_CREATE(name, ...): the subcommand set (no terminator needed here). */
export function SHELL_STATIC_SUBCMD_SET_CREATE(...entries: ShellStaticEntry[]): readonly ShellStaticEntry[] {
  return entries;
}

function specOf(entry: ShellStaticEntry): ShellCommandSpec {
  return {
    syntax: entry.syntax,
    help: entry.help,
    mandatory: entry.mandatory,
    optional: entry.optional,
    hasHandler: entry.handler !== undefined,
    subcommands: (entry.subcmd ?? []).map(specOf),
  };
}

/** Runs the entry `path` names with `argv`, collecting what it prints. */
async function run(
  root: ShellStaticEntry,
  path: readonly string[],
  argv: readonly string[],
): Promise<ShellRunResult> {
  let entry: ShellStaticEntry | undefined = root;
  for (const name of path.slice(1)) entry = entry?.subcmd?.find((sub) => sub.syntax === name);
  if (entry?.handler === undefined) {
    throw new Error(`shell command "${path.join(' ')}" has no handler in this firmware`);
  }
  let output = '';
  const sh: Shell = {
    write(text) {
      output += text;
    },
  };
  const ret = await entry.handler(sh, argv.length, argv);
  return { output, ret: Math.trunc(Number(ret)) };
}

/** SHELL_CMD_REGISTER(syntax, subcmd, help, handler): a root command, registered with the shell. */
export function SHELL_CMD_REGISTER(
  syntax: string,
  subcmd: readonly ShellStaticEntry[] | undefined,
  help: string,
  handler: ShellCmdHandler | undefined,
): void {
  const root = SHELL_CMD(syntax, subcmd, help, handler);
  zephyrHost().shellRegister(specOf(root), (path, argv) => run(root, path, argv));
}

/** shell_print: the formatted text and a newline. */
export function shell_print(sh: Shell, format: string, ...args: PrintfArg[]): void {
  sh.write(`${formatPrintf(format, args)}\n`);
}

/** shell_error and shell_warn print the same text (the dummy backend shows no colours). */
export function shell_error(sh: Shell, format: string, ...args: PrintfArg[]): void {
  shell_print(sh, format, ...args);
}

export function shell_warn(sh: Shell, format: string, ...args: PrintfArg[]): void {
  shell_print(sh, format, ...args);
}
