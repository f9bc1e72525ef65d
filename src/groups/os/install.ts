/** The OS group on the virtual device and in the CLI. */
import type { GroupInstaller } from '../installer.ts';
import { registerOsCommands } from './cli.ts';
import { osGroup } from './group.ts';

export const osInstaller: GroupInstaller = {
  group: osGroup,
  serve: async () => {
    const { registerOsGroup } = await import('./server.ts');
    return (server, services) =>
      registerOsGroup(server, {
        board: services.board,
        build: services.build,
        requestReset: () => services.requestReset(),
        mainRunning: () => services.mainRunning(),
      });
  },
  cli: registerOsCommands,
};
