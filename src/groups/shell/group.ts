/** Shell management group (9): ids and errors (Zephyr grp/shell_mgmt, shell_mgmt_err_code_t and its translator). */
import { defineGroup, MgmtErr } from '../../smp/group-def.ts';
import { SmpGroup } from '../../smp/group-ids.ts';

export const shellGroup = defineGroup({
  id: SmpGroup.Shell,
  name: 'shell',
  errors: [
    ['OK', 'success'],
    ['UNKNOWN', 'unknown shell error'],
    ['COMMAND_TOO_LONG', 'shell command too long'],
    ['EMPTY_COMMAND', 'empty shell command'],
  ],
  toV1: { COMMAND_TOO_LONG: MgmtErr.EINVAL, EMPTY_COMMAND: MgmtErr.EINVAL },
});

export const ShellErr = shellGroup.code;
