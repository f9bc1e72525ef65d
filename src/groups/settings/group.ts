/** Settings management group (3): ids and errors (Zephyr grp/settings_mgmt, settings_mgmt_err_code_t and its translator). */
import { defineGroup, MgmtErr } from '../../smp/group-def.ts';
import { SmpGroup } from '../../smp/group-ids.ts';

export const settingsGroup = defineGroup({
  id: SmpGroup.Settings,
  name: 'settings',
  errors: [
    ['OK', 'success'],
    ['UNKNOWN', 'unknown settings error'],
    ['KEY_TOO_LONG', 'settings key too long'],
    ['KEY_NOT_FOUND', 'settings key not found'],
    ['READ_NOT_SUPPORTED', 'settings read not supported'],
    ['ROOT_KEY_NOT_FOUND', 'settings root key not found'],
    ['WRITE_NOT_SUPPORTED', 'settings write not supported'],
    ['DELETE_NOT_SUPPORTED', 'settings delete not supported'],
    ['SAVE_NOT_SUPPORTED', 'settings save not supported'],
  ],
  toV1: { KEY_TOO_LONG: MgmtErr.EINVAL, KEY_NOT_FOUND: MgmtErr.ENOENT, READ_NOT_SUPPORTED: MgmtErr.ENOENT },
});

export const SettingsErr = settingsGroup.code;
