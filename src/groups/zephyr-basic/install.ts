/** The Zephyr basic group on the virtual device and in the CLI. */
import type { GroupInstaller } from '../installer.ts';
import { registerZephyrBasicCommands } from './cli.ts';
import { zephyrBasicGroup } from './group.ts';
import { zephyrBasicServe } from './serve.ts';

export const zephyrBasicInstaller: GroupInstaller = {
  group: zephyrBasicGroup,
  serve: zephyrBasicServe,
  cli: registerZephyrBasicCommands,
};
