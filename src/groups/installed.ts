/**
 * Registration 2 of 2: the groups the virtual device serves and the CLI speaks, in the order the
 * CLI lists their commands. A new group adds one line (its install.ts).
 */
import { imageInstaller } from './image/install.ts';
import type { GroupInstaller } from './installer.ts';
import { osInstaller } from './os/install.ts';
import { statInstaller } from './stat/install.ts';

export const GROUP_INSTALLERS: ReadonlyArray<GroupInstaller> = [osInstaller, statInstaller, imageInstaller];
