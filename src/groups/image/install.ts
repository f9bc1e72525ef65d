/** The image group on the virtual device and in the CLI. */
import type { GroupInstaller } from '../installer.ts';
import { registerImageCommands } from './cli.ts';
import { imageGroup } from './group.ts';

export const imageInstaller: GroupInstaller = {
  group: imageGroup,
  serve: async () => {
    const { registerImageGroup } = await import('./server.ts');
    return (server, services) => {
      const { build } = services;
      registerImageGroup(server, {
        slots: services.slots,
        runningVersion: () => services.runningVersion(),
        imageCheck: build.imageCheck,
        allowConfirmNonActiveImageSecondary: build.allowConfirmNonActiveImageSecondary,
        allowConfirmNonActiveImageAny: build.allowConfirmNonActiveImageAny,
        log: (level, message) => services.log(level, 'mcumgr_img_grp', message),
      });
    };
  },
  cli: registerImageCommands,
};
