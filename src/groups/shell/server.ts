/**
 * Shell management group (9) of the virtual device's SMP server, as Zephyr v3.5.0's
 * subsys/mgmt/mcumgr/grp/shell_mgmt/src/shell_mgmt.c answers `shell exec`: the text items of
 * `argv` are joined with single spaces into a line of at most CONFIG_SHELL_CMD_BUFF_SIZE - 1
 * characters (else COMMAND_TOO_LONG), the first item that is not text ends the list (no text item
 * at all: EMPTY_COMMAND), and the line runs on the shell's dummy backend; the answer is its output
 * `o` and its return value `ret` (`rc` with CONFIG_MCUMGR_GRP_SHELL_LEGACY_RC_RETURN_CODE, off).
 * A request without an `argv` array is MGMT_ERR_EINVAL.
 */
import { GroupError } from '../../device/server/mgmt-error.ts';
import type { SmpServer } from '../../device/server/smp-server.ts';
import type { CborValue } from '../../smp/codec.ts';
import { defineCommand } from '../../smp/command.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { describeValue, type Field, SchemaError } from '../../smp/schema.ts';
import { ShellErr } from './group.ts';
import { shellExec } from './models.ts';
import type { ZephyrShell } from './shell.ts';

/** CONFIG_SHELL_CMD_BUFF_SIZE (default 256). */
export const SHELL_CMD_BUFF_SIZE = 256;

/** argv as shell_mgmt.c decodes it: an array whose items are read while they are text. */
const argvItems: Field<CborValue[]> = {
  expected: 'an array of text strings',
  decode(value, path) {
    if (!Array.isArray(value)) throw new SchemaError(path, 'type', this.expected, describeValue(value));
    return value;
  },
  encode(value) {
    return value;
  },
};

const shellExecAsDecoded = defineCommand({
  ...shellExec,
  request: { argv: argvItems },
  response: shellExec.response.shape,
});

export interface ShellGroupOptions {
  readonly shell: ZephyrShell;
  /** CONFIG_SHELL_CMD_BUFF_SIZE. */
  readonly cmdBuffSize?: number;
}

/** The command line shell_mgmt_exec composes, or the group error it answers instead. */
export function composeLine(argv: readonly CborValue[], cmdBuffSize = SHELL_CMD_BUFF_SIZE): string {
  const words: string[] = [];
  let length = 0;
  for (const item of argv) {
    if (typeof item !== 'string') break;
    const bytes = new TextEncoder().encode(item).length;
    if (length + bytes >= cmdBuffSize) {
      throw new GroupError(
        SmpGroup.Shell,
        ShellErr.COMMAND_TOO_LONG,
        `the command line would be ${length + bytes} or more bytes; the shell takes ${cmdBuffSize - 1}`,
      );
    }
    words.push(item);
    length += bytes + 1;
  }
  if (words.length === 0) {
    throw new GroupError(SmpGroup.Shell, ShellErr.EMPTY_COMMAND, 'argv holds no command');
  }
  return words.join(' ');
}

export function registerShellGroup(server: SmpServer, options: ShellGroupOptions): void {
  const size = options.cmdBuffSize ?? SHELL_CMD_BUFF_SIZE;
  server.register(shellExecAsDecoded, async (request) => {
    const line = composeLine(request.argv, size);
    const { output, ret } = await options.shell.execute(line);
    return { o: output, ret };
  });
}
