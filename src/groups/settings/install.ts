/** The settings group on the virtual device and in the CLI. */
import type { GroupInstaller } from '../installer.ts';
import { registerSettingsCommands } from './cli.ts';
import { settingsGroup } from './group.ts';
import { settingsServe } from './serve.ts';

export const settingsInstaller: GroupInstaller = {
  group: settingsGroup,
  serve: settingsServe,
  cli: registerSettingsCommands,
};
