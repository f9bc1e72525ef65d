/** The image group on the virtual device and in the CLI. */
import type { GroupInstaller } from '../installer.ts';
import { registerImageCommands } from './cli.ts';
import { imageGroup } from './group.ts';
import { imageServe } from './serve.ts';

export const imageInstaller: GroupInstaller = {
  group: imageGroup,
  serve: imageServe,
  cli: registerImageCommands,
};
