/** The OS group on the virtual device and in the CLI. */
import type { GroupInstaller } from '../installer.ts';
import { registerOsCommands } from './cli.ts';
import { osGroup } from './group.ts';
import { osServe } from './serve.ts';

export const osInstaller: GroupInstaller = {
  group: osGroup,
  serve: osServe,
  cli: registerOsCommands,
};
