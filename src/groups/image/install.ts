/** The image group on the virtual device and in the CLI. */
import type { GroupInstaller } from '../installer.ts';
import { registerImageCommands } from './cli.ts';
import { imageGroup } from './group.ts';
import { registerImageGroup } from './server.ts';

export const imageInstaller: GroupInstaller = {
  group: imageGroup,
  serve: (server, services) => {
    const { build } = services;
    registerImageGroup(server, {
      slots: services.slots,
      runningVersion: () => services.runningVersion(),
      imageCheck: build.imageCheck,
      allowConfirmNonActiveImageSecondary: build.allowConfirmNonActiveImageSecondary,
      allowConfirmNonActiveImageAny: build.allowConfirmNonActiveImageAny,
      log: (level, message) => services.log(level, 'mcumgr_img_grp', message),
    });
  },
  cli: registerImageCommands,
};
