/** The Zephyr basic group on the virtual device and in the CLI. */
import type { GroupInstaller } from '../installer.ts';
import { registerZephyrBasicCommands } from './cli.ts';
import { zephyrBasicGroup } from './group.ts';

export const zephyrBasicInstaller: GroupInstaller = {
  group: zephyrBasicGroup,
  serve: async () => {
    const { registerZephyrBasicGroup } = await import('./server.ts');
    return (server, services) =>
      registerZephyrBasicGroup(server, {
        storage: services.storage,
        log: (level, message) => services.log(level, 'mcumgr_zbasic_grp', message),
      });
  },
  cli: registerZephyrBasicCommands,
};
