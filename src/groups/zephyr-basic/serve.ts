/**
 * The Zephyr basic group's handlers on the virtual device, loaded on first use (a dynamic import, so
 * the CLI does not load the device's side). Pure: no Node imports, no CLI.
 */
import type { GroupServe } from '../installer.ts';

export const zephyrBasicServe = async (): Promise<GroupServe> => {
  const { registerZephyrBasicGroup } = await import('./server.ts');
  return (server, services) =>
    registerZephyrBasicGroup(server, {
      storage: services.storage,
      log: (level, message) => services.log(level, 'mcumgr_zbasic_grp', message),
    });
};
