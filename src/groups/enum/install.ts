/** The enumeration group on the virtual device and in the CLI. */
import type { GroupInstaller } from '../installer.ts';
import { registerEnumCommands } from './cli.ts';
import { enumGroup } from './group.ts';
import { enumServe } from './serve.ts';

export const enumInstaller: GroupInstaller = {
  group: enumGroup,
  serve: enumServe,
  cli: registerEnumCommands,
};
