/**
 * The OS group's handlers on the virtual device, loaded on first use (a dynamic import, so
 * the CLI does not load the device's side). Pure: no Node imports, no CLI.
 */
import type { GroupServe } from '../installer.ts';

export const osServe = async (): Promise<GroupServe> => {
  const { registerOsGroup } = await import('./server.ts');
  return (server, services) =>
    registerOsGroup(server, {
      board: services.board,
      build: services.build,
      requestReset: () => services.requestReset(),
      mainRunning: () => services.mainRunning(),
      rtc: services.rtc,
    });
};
