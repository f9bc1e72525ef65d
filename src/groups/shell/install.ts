/**
 * The shell group on the virtual device (its shell: ./device-shell.ts, loaded when a device first
 * starts) and in the CLI.
 */
import type { GroupInstaller } from '../installer.ts';
import { registerShellCommands } from './cli.ts';
import { shellGroup } from './group.ts';
import { shellServe } from './serve.ts';

export const shellInstaller: GroupInstaller = {
  group: shellGroup,
  serve: shellServe,
  cli: registerShellCommands,
};
