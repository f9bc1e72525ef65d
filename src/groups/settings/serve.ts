/**
 * The settings group's handlers on the virtual device, loaded on first use (a dynamic import, so
 * the CLI does not load the device's side). Pure: no Node imports, no CLI.
 */
import type { GroupServe } from '../installer.ts';

export const settingsServe = async (): Promise<GroupServe> => {
  const { registerSettingsGroup } = await import('./server.ts');
  return (server, services) => registerSettingsGroup(server, services.settings);
};
