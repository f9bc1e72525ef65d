/** Statistics group (2) of the virtual device's SMP server: the stats the running firmware registered. */
import { SmpGroup } from '../../smp/group-ids.ts';
import { statList, statShow } from '../../smp/groups/stat.ts';
import { GroupError } from './mgmt-error.ts';
import type { SmpServer } from './smp-server.ts';

/** stat_mgmt_err_code_t */
const StatErr = { INVALID_STAT_NAME: 3 } as const;

/** Live stats by group name, as the firmware's STATS_* calls left them. */
export type StatsSource = () => ReadonlyMap<string, Readonly<Record<string, number>>>;

export function registerStatGroup(server: SmpServer, stats: StatsSource): void {
  server.register(statList, () => ({ stat_list: [...stats().keys()] }), { readsRequest: false });

  server.register(statShow, (request) => {
    const fields = stats().get(request.name);
    if (!fields) {
      throw new GroupError(
        SmpGroup.Stat,
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
