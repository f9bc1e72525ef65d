/** The statistics group on the virtual device and in the CLI. */
import type { GroupInstaller } from '../installer.ts';
import { registerStatCommands } from './cli.ts';
import { statGroup } from './group.ts';
import { statServe } from './serve.ts';

export const statInstaller: GroupInstaller = {
  group: statGroup,
  serve: statServe,
  cli: registerStatCommands,
};
