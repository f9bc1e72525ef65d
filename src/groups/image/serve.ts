/**
 * The image group's handlers on the virtual device, loaded on first use (a dynamic import, so
 * the CLI does not load the device's side). Pure: no Node imports, no CLI.
 */
import type { GroupServe } from '../installer.ts';

export const imageServe = async (): Promise<GroupServe> => {
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
};
