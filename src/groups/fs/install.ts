/** The file-system management group on the virtual device and in the CLI. */
import type { GroupInstaller } from '../installer.ts';
import { registerFsCommands } from './cli.ts';
import { fsGroup } from './group.ts';
import { fsServe } from './serve.ts';

export const fsInstaller: GroupInstaller = {
  group: fsGroup,
  serve: fsServe,
  cli: registerFsCommands,
};
