/** The enumeration group on the virtual device and in the CLI. */
import type { GroupInstaller } from '../installer.ts';
import { registerEnumCommands } from './cli.ts';
import { enumGroup } from './group.ts';

export const enumInstaller: GroupInstaller = {
  group: enumGroup,
  serve: async () => {
    const { registerEnumGroup } = await import('./server.ts');
    return (server) => registerEnumGroup(server);
  },
  cli: registerEnumCommands,
};
