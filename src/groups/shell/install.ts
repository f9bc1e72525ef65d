/**
 * The shell group on the virtual device (its shell: ./device-shell.ts, loaded when a device first
 * starts) and in the CLI.
 */
import type { GroupInstaller } from '../installer.ts';
import { registerShellCommands } from './cli.ts';
import { shellGroup } from './group.ts';

export const shellInstaller: GroupInstaller = {
  group: shellGroup,
  serve: async () => {
    const [{ registerShellGroup }, { deviceShell }] = await Promise.all([
      import('./server.ts'),
      import('./device-shell.ts'),
    ]);
    return (server, services) => {
      // A build without the shell (smpServer.shell: false) has no shell group: group 9 is ENOTSUP.
      if (services.build.shell) registerShellGroup(server, { shell: deviceShell(services) });
    };
  },
  cli: registerShellCommands,
};
