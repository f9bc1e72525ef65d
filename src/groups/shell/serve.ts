/**
 * The shell group's handlers on the virtual device, loaded on first use (a dynamic import, so
 * the CLI does not load the device's side). Pure: no Node imports, no CLI.
 */
import type { GroupServe } from '../installer.ts';

export const shellServe = async (): Promise<GroupServe> => {
  const [{ registerShellGroup }, { deviceShell }] = await Promise.all([
    import('./server.ts'),
    import('./device-shell.ts'),
  ]);
  return (server, services) => {
    // A build without the shell (smpServer.shell: false) has no shell group: group 9 is ENOTSUP.
    if (services.build.shell) registerShellGroup(server, { shell: deviceShell(services) });
  };
};
