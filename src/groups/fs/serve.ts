/**
 * The file-system management group's handlers on the virtual device, loaded on first use (a dynamic import, so
 * the CLI does not load the device's side). Pure: no Node imports, no CLI.
 */
import type { GroupServe } from '../installer.ts';

export const fsServe = async (): Promise<GroupServe> => {
  const { registerFsGroup } = await import('./server.ts');
  return (server, services) => {
    // A build without CONFIG_FILE_SYSTEM has no fs_mgmt: the group's commands are unsupported.
    if (!services.fs) return;
    const mgmt = registerFsGroup(server, { fs: services.fs, netbufSize: services.build.netbufSize });
    services.onStop(() => mgmt.stop());
  };
};
