/**
 * Settings management group (3) commands (Zephyr grp/settings_mgmt/src/settings_mgmt.c,
 * doc/services/device_mgmt/smp_groups/smp_group_3.rst): read and write share id 0, delete 1,
 * commit 2, load (read) and save (write) share id 3.
 */
import { defineCommand, type SmpCommand } from '../../smp/command.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { bytes, optional, text, uint } from '../../smp/schema.ts';

/** CONFIG_MCUMGR_GRP_SETTINGS_NAME_LEN default: the key buffer, terminator included. */
export const SETTINGS_NAME_LEN = 32;
/** CONFIG_MCUMGR_GRP_SETTINGS_VALUE_LEN default: the most a read returns. */
export const SETTINGS_VALUE_LEN = 32;

export const settingsRead = defineCommand({
  group: SmpGroup.Settings,
  id: 0,
  op: 'read',
  name: 'settings read',
  request: { name: text(), max_size: optional(uint()) },
  // "max_size" comes back only when the request asked for more than the device's buffer.
  response: { val: bytes(), max_size: optional(uint()) },
});

export const settingsWrite = defineCommand({
  group: SmpGroup.Settings,
  id: 0,
  op: 'write',
  name: 'settings write',
  request: { name: text(), val: bytes() },
  response: {},
});

export const settingsDelete = defineCommand({
  group: SmpGroup.Settings,
  id: 1,
  op: 'write',
  name: 'settings delete',
  request: { name: text() },
  response: {},
});

export const settingsCommit = defineCommand({
  group: SmpGroup.Settings,
  id: 2,
  op: 'write',
  name: 'settings commit',
  request: {},
  response: {},
});

export const settingsLoad = defineCommand({
  group: SmpGroup.Settings,
  id: 3,
  op: 'read',
  name: 'settings load',
  request: {},
  response: {},
});

export const settingsSave = defineCommand({
  group: SmpGroup.Settings,
  id: 3,
  op: 'write',
  name: 'settings save',
  request: {},
  response: {},
});

export const settingsCommands: ReadonlyArray<SmpCommand> = [
  settingsRead,
  settingsWrite,
  settingsDelete,
  settingsCommit,
  settingsLoad,
  settingsSave,
];
