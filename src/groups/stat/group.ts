/** Statistics group (2): ids and errors (Zephyr grp/stat_mgmt, stat_mgmt_err_code_t and stat_mgmt_translate_error_code). */
import { defineGroup, MgmtErr } from '../../smp/group-def.ts';
import { SmpGroup } from '../../smp/group-ids.ts';

export const statGroup = defineGroup({
  id: SmpGroup.Stat,
  name: 'stat',
  errors: [
    ['OK', 'success'],
    ['UNKNOWN', 'unknown statistics error'],
    ['INVALID_GROUP', 'no such statistics group'],
    ['INVALID_STAT_NAME', 'no such statistics group name'],
    ['INVALID_STAT_SIZE', 'invalid statistic size'],
    ['WALK_ABORTED', 'statistics walk aborted'],
  ],
  toV1: {
    INVALID_GROUP: MgmtErr.ENOENT,
    INVALID_STAT_NAME: MgmtErr.ENOENT,
    INVALID_STAT_SIZE: MgmtErr.EINVAL,
  },
});

export const StatErr = statGroup.code;
