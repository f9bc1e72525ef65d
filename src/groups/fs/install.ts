/** The file-system management group on the virtual device and in the CLI. */
import type { GroupInstaller } from '../installer.ts';
import { registerFsCommands } from './cli.ts';
import { fsGroup } from './group.ts';

export const fsInstaller: GroupInstaller = {
  group: fsGroup,
  serve: async () => {
    const { registerFsGroup } = await import('./server.ts');
    return (server, services) => {
      // A build without CONFIG_FILE_SYSTEM has no fs_mgmt: the group's commands are unsupported.
      if (!services.fs) return;
      const mgmt = registerFsGroup(server, { fs: services.fs, netbufSize: services.build.netbufSize });
      services.onStop(() => mgmt.stop());
    };
  },
  cli: registerFsCommands,
};
