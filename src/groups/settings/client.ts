/** The settings group's client calls over an SmpClient (pure: Node and browsers). */
import type { RequestOptions, SmpClient } from '../../client/client.ts';
import {
  settingsCommit,
  settingsDelete,
  settingsLoad,
  settingsRead,
  settingsSave,
  settingsWrite,
} from './models.ts';

export interface SettingsValue {
  readonly value: Uint8Array;
  /** Set when the device capped the read at its own buffer (the request asked for more). */
  readonly deviceMaxSize?: number;
}

/** settings read: at most `maxSize` bytes (the device's CONFIG_MCUMGR_GRP_SETTINGS_VALUE_LEN when omitted). */
export async function readSetting(
  smp: SmpClient,
  name: string,
  maxSize?: number,
  options?: RequestOptions,
): Promise<SettingsValue> {
  const response = await smp.request(
    settingsRead,
    maxSize === undefined ? { name } : { name, max_size: maxSize },
    options,
  );
  return response.max_size === undefined
    ? { value: response.val }
    : { value: response.val, deviceMaxSize: response.max_size };
}

/** settings write: the runtime value (the app's handler); `saveSettings` persists it. */
export async function writeSetting(
  smp: SmpClient,
  name: string,
  value: Uint8Array,
  options?: RequestOptions,
): Promise<void> {
  await smp.request(settingsWrite, { name, val: value }, options);
}

/** settings delete: removes the stored value (the running app keeps its copy until reset). */
export async function deleteSetting(smp: SmpClient, name: string, options?: RequestOptions): Promise<void> {
  await smp.request(settingsDelete, { name }, options);
}

export async function commitSettings(smp: SmpClient, options?: RequestOptions): Promise<void> {
  await smp.request(settingsCommit, {}, options);
}

export async function loadSettings(smp: SmpClient, options?: RequestOptions): Promise<void> {
  await smp.request(settingsLoad, {}, options);
}

export async function saveSettings(smp: SmpClient, options?: RequestOptions): Promise<void> {
  await smp.request(settingsSave, {}, options);
}
