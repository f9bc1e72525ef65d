/** The enumeration group on the virtual device and in the CLI. */
import type { GroupInstaller } from '../installer.ts';
import { registerEnumCommands } from './cli.ts';
import { enumGroup } from './group.ts';
import { registerEnumGroup } from './server.ts';

export const enumInstaller: GroupInstaller = {
  group: enumGroup,
  serve: (server) => registerEnumGroup(server),
  cli: registerEnumCommands,
};
