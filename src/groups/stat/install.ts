/** The statistics group on the virtual device and in the CLI. */
import type { GroupInstaller } from '../installer.ts';
import { registerStatCommands } from './cli.ts';
import { statGroup } from './group.ts';

export const statInstaller: GroupInstaller = {
  group: statGroup,
  serve: async () => {
    const { registerStatGroup } = await import('./server.ts');
    return (server, services) => registerStatGroup(server, () => services.stats());
  },
  cli: registerStatCommands,
};
