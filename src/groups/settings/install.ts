/** The settings group on the virtual device and in the CLI. */
import type { GroupInstaller } from '../installer.ts';
import { registerSettingsCommands } from './cli.ts';
import { settingsGroup } from './group.ts';

export const settingsInstaller: GroupInstaller = {
  group: settingsGroup,
  serve: async () => {
    const { registerSettingsGroup } = await import('./server.ts');
    return (server, services) => registerSettingsGroup(server, services.settings);
  },
  cli: registerSettingsCommands,
};
