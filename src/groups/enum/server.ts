/**
 * Enumeration management group (10) of the virtual device's SMP server, as Zephyr's
 * grp/enum_mgmt/src/enum_mgmt.c. The group came after v3.5.0 (Zephyr 3.6/3.7): this models the
 * newest upstream, with CONFIG_MCUMGR_GRP_ENUM_DETAILS on (names and handler counts, the default
 * stack buffer of CONFIG_MCUMGR_GRP_ENUM_DETAILS_BUFFER_TYPE_STACK_ENTRIES = 16 ids). It reports
 * the groups the server really registered, in registration order (mgmt_groups_foreach).
 */

import { GroupError, MgmtErr, MgmtError } from '../../device/server/mgmt-error.ts';
import type { SmpServer } from '../../device/server/smp-server.ts';
import type { CborValue } from '../../smp/codec.ts';
import { defineCommand } from '../../smp/command.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import type { Field } from '../../smp/schema.ts';
import { SchemaError } from '../../smp/schema.ts';
import { EnumErr } from './group.ts';
import { enumCount, enumDetails, enumList, enumSingle } from './models.ts';

/** MAX_MCUMGR_GROUPS: a larger index fails the request (EINVAL). */
const MAX_INDEX = 65535;
const DETAILS_STACK_ENTRIES = 16;

/** Each group's mg_group_name (CONFIG_MCUMGR_GRP_ENUM_DETAILS_NAME), from its Zephyr source. */
const ZEPHYR_GROUP_NAMES: Readonly<Record<number, string>> = {
  [SmpGroup.Os]: 'os mgmt',
  [SmpGroup.Image]: 'img mgmt',
  [SmpGroup.Stat]: 'stat mgmt',
  [SmpGroup.Settings]: 'settings mgmt',
  [SmpGroup.Fs]: 'fs mgmt',
  [SmpGroup.Shell]: 'shell mgmt',
  [SmpGroup.Enum]: 'enum mgmt',
  [SmpGroup.ZephyrBasic]: 'zephyr basic mgmt',
};

/**
 * enum_mgmt_details decodes "groups" twice: a value that is not a list counts as no filter; a list
 * with an item that is not an unsigned integer fails the decode (EINVAL).
 */
const groupFilter: Field<number[] | undefined, never> = {
  expected: 'an array of unsigned integers',
  decode(value: CborValue, path: string) {
    if (!Array.isArray(value)) return undefined;
    return value.map((item, i) => {
      if (typeof item !== 'number' || !Number.isSafeInteger(item) || item < 0 || item > 0xffffffff) {
        throw new SchemaError(`${path}[${i}]`, 'type', 'an unsigned integer', String(item));
      }
      // Stored as uint16_t.
      return item & 0xffff;
    });
  },
  encode() {
    throw new Error('server-side decode only');
  },
};

const enumDetailsAsDecoded = defineCommand({
  ...enumDetails,
  request: { groups: { field: groupFilter, presence: 'optional' as const, defaultValue: undefined } },
  response: enumDetails.response.shape,
});

export function registerEnumGroup(server: SmpServer): void {
  server.register(enumCount, () => ({ count: server.groups().length }), { readsRequest: false });

  server.register(enumList, () => ({ groups: server.groups().map((group) => group.id) }), {
    readsRequest: false,
  });

  server.register(enumSingle, (request) => {
    if (request.index > MAX_INDEX) {
      throw new MgmtError(MgmtErr.EINVAL, `index ${request.index} is over ${MAX_INDEX}`);
    }
    const groups = server.groups();
    const group = groups[request.index];
    if (group === undefined) {
      throw new GroupError(
        SmpGroup.Enum,
        EnumErr.INDEX_TOO_LARGE,
        `index ${request.index}: the device has ${groups.length} groups`,
      );
    }
    return request.index === groups.length - 1 ? { group: group.id, end: true } : { group: group.id };
  });

  server.register(enumDetailsAsDecoded, (request) => {
    const filter = request.groups ?? [];
    if (filter.length > DETAILS_STACK_ENTRIES) {
      throw new GroupError(
        SmpGroup.Enum,
        EnumErr.TOO_MANY_GROUP_ENTRIES,
        `${filter.length} group ids asked for; the device takes at most ${DETAILS_STACK_ENTRIES}`,
      );
    }
    const wanted = new Set(filter);
    return {
      groups: server
        .groups()
        .filter((group) => wanted.size === 0 || wanted.has(group.id))
        .map((group) => ({
          group: group.id,
          name: ZEPHYR_GROUP_NAMES[group.id] ?? '',
          handlers: group.handlers,
        })),
    };
  });
}
