/**
 * Enumeration management group (10) commands (Zephyr grp/enum_mgmt/src/enum_mgmt.c,
 * doc/services/device_mgmt/smp_groups/smp_group_10.rst): count, list, single, details.
 */
import { defineCommand, type SmpCommand } from '../../smp/command.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { arrayOf, bool, optional, struct, text, uint } from '../../smp/schema.ts';

export const enumCount = defineCommand({
  group: SmpGroup.Enum,
  id: 0,
  op: 'read',
  name: 'enum count',
  request: {},
  response: { count: uint() },
});

export const enumList = defineCommand({
  group: SmpGroup.Enum,
  id: 1,
  op: 'read',
  name: 'enum list',
  request: {},
  response: { groups: arrayOf(uint()) },
});

export const enumSingle = defineCommand({
  group: SmpGroup.Enum,
  id: 2,
  op: 'read',
  name: 'enum single',
  request: { index: uint() },
  // "end": true when the group is the last one.
  response: { group: uint(), end: optional(bool()) },
});

/** One group's details: "name" and "handlers" with CONFIG_MCUMGR_GRP_ENUM_DETAILS_NAME/_HANDLERS. */
export const groupDetails = struct({ group: uint(), name: optional(text()), handlers: optional(uint()) });

export const enumDetails = defineCommand({
  group: SmpGroup.Enum,
  id: 3,
  op: 'read',
  name: 'enum details',
  // Only these groups (all when absent).
  request: { groups: optional(arrayOf(uint())) },
  response: { groups: arrayOf(groupDetails) },
});

export const enumCommands: ReadonlyArray<SmpCommand> = [enumCount, enumList, enumSingle, enumDetails];
