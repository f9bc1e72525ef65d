/** Shell management group (9): run a shell command line on the device (Zephyr shell_mgmt.c). */
import { defineCommand, type ResponseOf, type SmpCommand } from '../../smp/command.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { arrayOf, int, optional, text } from '../../smp/schema.ts';

/**
 * Zephyr registers only a write handler (SHELL_MGMT_ID_EXEC = 0). It joins `argv` with spaces into
 * one line for the shell's dummy backend and answers the captured output `o` and the command's
 * return value `ret`. Builds with CONFIG_MCUMGR_GRP_SHELL_LEGACY_RC_RETURN_CODE send that value as
 * `rc` instead, which reads as the SMP result code, so `ret` may be absent after a success. An empty
 * argv is group error EMPTY_COMMAND (3), a line longer than CONFIG_SHELL_CMD_BUFF_SIZE is
 * COMMAND_TOO_LONG (2).
 */
export const shellExec = defineCommand({
  group: SmpGroup.Shell,
  id: 0,
  op: 'write',
  name: 'shell exec',
  request: { argv: arrayOf(text()) },
  response: { o: text(), ret: optional(int()) },
});
export type ShellExecResponse = ResponseOf<typeof shellExec>;

export const shellCommands: ReadonlyArray<SmpCommand> = [shellExec];
