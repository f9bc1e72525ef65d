/**
 * The settings subsystem one app run gets (its RAM state starts empty at every boot): on a board
 * with a mounted file system, the file backend at CONFIG_SETTINGS_FS_FILE on it; on one without,
 * no backend at all (as a Zephyr build with CONFIG_SETTINGS_NONE: runtime reads and writes work,
 * load finds nothing, save and delete have no destination). It also answers the firmware's
 * settings calls (src/device/firmware/runner.ts FirmwareSettingsHost).
 */

import type { FirmwareSettingsHost } from '../firmware/runner.ts';
import type { FileSystemApi } from '../fs/fs-api.ts';
import { SMP_SVR_MOUNT_POINT } from '../server/app-fs.ts';
import { SettingsFileStore } from './file-store.ts';
import { type SettingsLog, SettingsSubsystem } from './settings.ts';
import { sharedMemoryHandler } from './shared-handler.ts';

/**
 * CONFIG_SETTINGS_FS_DIR / CONFIG_SETTINGS_FS_FILE as a board with LittleFS at /lfs1 sets them
 * (Zephyr's defaults, "/settings" and "/settings/run", assume a file system mounted at "/").
 */
export const SETTINGS_FS_DIR = `${SMP_SVR_MOUNT_POINT}/settings`;
export const SETTINGS_FS_FILE = `${SETTINGS_FS_DIR}/run`;

export interface DeviceSettings {
  readonly subsystem: SettingsSubsystem;
  readonly firmwareHost: FirmwareSettingsHost;
}

export function createDeviceSettings(fs: FileSystemApi | undefined, log: SettingsLog): DeviceSettings {
  const store = fs ? new SettingsFileStore(fs, { dir: SETTINGS_FS_DIR, file: SETTINGS_FS_FILE }) : undefined;
  const subsystem = new SettingsSubsystem(store, log);
  return {
    subsystem,
    firmwareHost: {
      register(subtree, specs, memory) {
        const rc = subsystem.register(sharedMemoryHandler(subtree, specs, memory));
        if (rc !== 0) log('err', `settings handler "${subtree}" is already registered (${rc})`);
      },
      call(call) {
        if (call === 'init') return store ? store.init() : 0;
        return subsystem.load();
      },
    },
  };
}
