/**
 * The device's shell as the SMP shell group reaches it: Zephyr's shell core (subsys/shell/shell.c,
 * v3.5.0) run on the dummy backend (subsys/shell/backends/shell_dummy.c) that shell_mgmt.c
 * executes lines on. A line is split into words (blanks separate, quotes group), the first word
 * picks a root command, following words descend into its subcommands while they match, and the
 * handler gets the rest as argv. The shell's own answers: "<cmd>: command not found" with -ENOEXEC,
 * "<cmd>: wrong parameter count" with -EINVAL, "Please specify a subcommand." with -ENOEXEC.
 * Output lines end in CR LF (the dummy backend's SHELL_FLAG_OLF_CRLF) after the newline the shell
 * prints when it takes a line, and the backend keeps at most CONFIG_SHELL_BACKEND_DUMMY_BUF_SIZE - 1
 * bytes of it (300 - 1): the rest of a longer output is lost, as on the device. Pure.
 */

/** Zephyr's errno values (lib/libc/minimal/include/errno.h). */
export const ENOEXEC = 8;
export const EINVAL = 22;
export const ETIMEDOUT = 116;

/** CONFIG_SHELL_BACKEND_DUMMY_BUF_SIZE (default 300): the captured output, NUL included. */
export const DUMMY_BUF_SIZE = 300;

/** Where a handler prints. */
export interface ShellOutput {
  write(text: string): void;
}

export type ShellHandler = (out: ShellOutput, argv: readonly string[]) => number | Promise<number>;

/** One command or subcommand (struct shell_static_entry). */
export interface ShellCommand {
  readonly name: string;
  readonly help: string;
  /** Words the handler needs, the command's own name included (SHELL_CMD_ARG mand); 0 = unchecked. */
  readonly mandatory: number;
  readonly optional: number;
  readonly handler?: ShellHandler;
  readonly subcommands: readonly ShellCommand[];
}

export interface ShellRun {
  readonly output: string;
  readonly ret: number;
}

/** make_argv: words separated by blanks; '…' and "…" group, a backslash escapes one character. */
export function splitLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** What the dummy backend hands back: CR LF line ends, cut to the buffer. */
function captured(text: string): string {
  const crlf = text.replace(/\r?\n/g, '\r\n');
  const bytes = new TextEncoder().encode(crlf);
  if (bytes.length < DUMMY_BUF_SIZE) return crlf;
  return new TextDecoder().decode(bytes.subarray(0, DUMMY_BUF_SIZE - 1));
}

/** `help`'s command list: "  name  :help" lines, names padded to the longest. */
export function formatCommandList(commands: readonly ShellCommand[]): string {
  const width = Math.max(0, ...commands.map((command) => command.name.length)) + 2;
  return commands.map((command) => `  ${command.name.padEnd(width)}:${command.help}\n`).join('');
}

export class ZephyrShell {
  /** `roots` gives the root commands at the time a line runs (the app may register more later). */
  constructor(private readonly roots: () => readonly ShellCommand[]) {}

  /** shell_execute_cmd on the dummy backend: what the line printed and its return value. */
  async execute(line: string): Promise<ShellRun> {
    let text = '\n';
    const out: ShellOutput = {
      write(chunk) {
        text += chunk;
      },
    };
    const ret = await this.dispatch(splitLine(line), out);
    return { output: captured(text), ret };
  }

  private async dispatch(words: readonly string[], out: ShellOutput): Promise<number> {
    const first = words[0];
    if (first === undefined) return -ENOEXEC;
    const root = this.roots().find((candidate) => candidate.name === first);
    if (!root) {
      out.write(`${first}: command not found\n`);
      return -ENOEXEC;
    }
    let command: ShellCommand = root;
    let at = 0;
    for (;;) {
      const next = words[at + 1];
      const sub: ShellCommand | undefined =
        next === undefined ? undefined : command.subcommands.find((s) => s.name === next);
      if (!sub) break;
      command = sub;
      at++;
    }
    const argv = words.slice(at);
    if (!command.handler) {
      if (argv.length > 1) {
        out.write(`${command.name}: unknown parameter: ${argv[1]}\n`);
        return -EINVAL;
      }
      out.write('Please specify a subcommand.\n');
      return -ENOEXEC;
    }
    const checked = command.mandatory > 0;
    if (checked && (argv.length < command.mandatory || argv.length > command.mandatory + command.optional)) {
      out.write(`${command.name}: wrong parameter count\n`);
      return -EINVAL;
    }
    return command.handler(out, argv);
  }
}
