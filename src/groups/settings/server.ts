/**
 * Settings management group (3) of the virtual device's SMP server, as Zephyr's
 * grp/settings_mgmt/src/settings_mgmt.c (v3.5.0) with the stack buffers
 * (CONFIG_MCUMGR_GRP_SETTINGS_BUFFER_TYPE_STACK) and no access hook: keys of NAME_LEN bytes or more
 * are KEY_TOO_LONG; a read returns at most min(max_size, VALUE_LEN) bytes (the handler truncates);
 * the subsystem's -EINVAL / -ENOENT / -ENOTSUP become ROOT_KEY_NOT_FOUND / KEY_NOT_FOUND /
 * *_NOT_SUPPORTED; commit, load and save report nothing whatever the subsystem returns.
 */

import { GroupError, MgmtErr, MgmtError } from '../../device/server/mgmt-error.ts';
import type { SmpServer } from '../../device/server/smp-server.ts';
import type { SettingsSubsystem } from '../../device/settings/settings.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { SettingsErr } from './group.ts';
import {
  SETTINGS_NAME_LEN,
  SETTINGS_VALUE_LEN,
  settingsCommit,
  settingsDelete,
  settingsLoad,
  settingsRead,
  settingsSave,
  settingsWrite,
} from './models.ts';

const EINVAL = -22;
const ENOENT = -2;
const ENOTSUP = -134;
const UINT32_MAX = 0xffffffff;

export interface SettingsGroupOptions {
  readonly nameLen?: number;
  readonly valueLen?: number;
}

/** The key as the handler copies it: rejected when empty (EINVAL) or too long for the buffer. */
function checkKey(name: string, nameLen: number): void {
  const length = new TextEncoder().encode(name).length;
  if (length === 0) throw new MgmtError(MgmtErr.EINVAL, 'settings key is empty');
  if (length >= nameLen) {
    throw new GroupError(
      SmpGroup.Settings,
      SettingsErr.KEY_TOO_LONG,
      `settings key "${name}" is ${length} bytes; the device takes at most ${nameLen - 1}`,
    );
  }
}

function subsystemError(rc: number, name: string, notSupported: number): GroupError {
  if (rc === EINVAL) {
    return new GroupError(
      SmpGroup.Settings,
      SettingsErr.ROOT_KEY_NOT_FOUND,
      `no settings handler for "${name}"`,
    );
  }
  if (rc === ENOENT)
    return new GroupError(SmpGroup.Settings, SettingsErr.KEY_NOT_FOUND, `no settings key "${name}"`);
  if (rc === ENOTSUP) return new GroupError(SmpGroup.Settings, notSupported, `"${name}": not supported`);
  return new GroupError(SmpGroup.Settings, SettingsErr.UNKNOWN, `"${name}": settings error ${rc}`);
}

export function registerSettingsGroup(
  server: SmpServer,
  settings: SettingsSubsystem,
  options: SettingsGroupOptions = {},
): void {
  const nameLen = options.nameLen ?? SETTINGS_NAME_LEN;
  const valueLen = options.valueLen ?? SETTINGS_VALUE_LEN;

  server.register(settingsRead, (request) => {
    // zcbor_uint32_decode fails on a larger number: the whole decode fails.
    if (request.max_size !== undefined && request.max_size > UINT32_MAX) {
      throw new MgmtError(MgmtErr.EINVAL, `max_size ${request.max_size} does not fit 32 bits`);
    }
    checkKey(request.name, nameLen);
    let maxSize = request.max_size ?? valueLen;
    const limited = maxSize > valueLen;
    if (limited) maxSize = valueLen;
    const value = settings.runtimeGet(request.name, maxSize);
    if (typeof value === 'number') throw subsystemError(value, request.name, SettingsErr.READ_NOT_SUPPORTED);
    return limited ? { val: value, max_size: valueLen } : { val: value };
  });

  server.register(settingsWrite, (request) => {
    checkKey(request.name, nameLen);
    const rc = settings.runtimeSet(request.name, request.val);
    if (rc < 0) throw subsystemError(rc, request.name, SettingsErr.WRITE_NOT_SUPPORTED);
    return {};
  });

  server.register(settingsDelete, (request) => {
    checkKey(request.name, nameLen);
    const rc = settings.delete(request.name);
    if (rc < 0) throw subsystemError(rc, request.name, SettingsErr.DELETE_NOT_SUPPORTED);
    return {};
  });

  // settings_mgmt_commit/load/save never read their request and drop the subsystem's result.
  server.register(
    settingsCommit,
    () => {
      settings.commit();
      return {};
    },
    { readsRequest: false },
  );
  server.register(
    settingsLoad,
    () => {
      settings.load();
      return {};
    },
    { readsRequest: false },
  );
  server.register(
    settingsSave,
    () => {
      settings.save();
      return {};
    },
    { readsRequest: false },
  );
}
