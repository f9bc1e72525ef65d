/**
 * The statistics group's handlers on the virtual device, loaded on first use (a dynamic import, so
 * the CLI does not load the device's side). Pure: no Node imports, no CLI.
 */
import type { GroupServe } from '../installer.ts';

export const statServe = async (): Promise<GroupServe> => {
  const { registerStatGroup } = await import('./server.ts');
  return (server, services) => registerStatGroup(server, () => services.stats());
};
