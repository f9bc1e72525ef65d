/** Statistics group (2) of the virtual device's SMP server: the stats the running firmware registered. */

import { GroupError, MgmtErr, MgmtError } from '../../device/server/mgmt-error.ts';
import type { SmpServer } from '../../device/server/smp-server.ts';
import { defineCommand } from '../../smp/command.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { arrayOf, int, text } from '../../smp/schema.ts';
import { StatErr } from './group.ts';
import { statList, statShow } from './models.ts';

/** CONFIG_MCUMGR_GRP_STAT_MAX_NAME_LEN (default 32): the name buffer, terminator included. */
const MAX_NAME_LEN = 32;

/** Live stats by group name, as the firmware's STATS_* calls left them. */
export type StatsSource = () => ReadonlyMap<string, Readonly<Record<string, number>>>;

/** grp/stat_mgmt/src/stat_mgmt.c stat_mgmt_list writes "rc": 0 before the list, always. */
const statListAsEncoded = defineCommand({
  ...statList,
  request: {},
  response: { rc: int(), stat_list: arrayOf(text()) },
});

export function registerStatGroup(server: SmpServer, stats: StatsSource): void {
  server.register(statListAsEncoded, () => ({ rc: 0, stat_list: [...stats().keys()] }), {
    readsRequest: false,
  });

  server.register(statShow, (request) => {
    if (request.name.length === 0 || request.name.length >= MAX_NAME_LEN) {
      throw new MgmtError(MgmtErr.EINVAL, `stat group name must be 1 to ${MAX_NAME_LEN - 1} characters`);
    }
    const fields = stats().get(request.name);
    if (!fields) {
      // stat_mgmt.c stat_mgmt_show (v3.5.0, and until Zephyr PR #104682 in 2026) reports this
      // under ZEPHYR_MGMT_GRP_BASIC (63), not its own group: v2 {"err": {"group": 63, "rc": 3}};
      // for v1, smp.c finds no translation for group 63 in smp_svr and answers MGMT_ERR_EUNKNOWN.
      throw new GroupError(
        SmpGroup.ZephyrBasic,
        StatErr.INVALID_STAT_NAME,
        `no stats group named "${request.name}"`,
      );
    }
    // Zephyr sends every field as an unsigned 32-bit value.
    const truncated: Record<string, number> = {};
    for (const [name, value] of Object.entries(fields)) truncated[name] = value >>> 0;
    return { name: request.name, fields: truncated };
  });
}
