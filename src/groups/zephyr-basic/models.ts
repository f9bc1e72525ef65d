/**
 * Zephyr basic management group (63) commands (Zephyr grp/zephyr_basic/src/basic_mgmt.c,
 * doc/services/device_mgmt/smp_groups/smp_group_63.rst): erase storage.
 */
import { defineCommand, type SmpCommand } from '../../smp/command.ts';
import { SmpGroup } from '../../smp/group-ids.ts';

export const eraseStorage = defineCommand({
  group: SmpGroup.ZephyrBasic,
  id: 0,
  op: 'write',
  name: 'zephyr basic erase storage',
  request: {},
  response: {},
});

export const zephyrBasicCommands: ReadonlyArray<SmpCommand> = [eraseStorage];
