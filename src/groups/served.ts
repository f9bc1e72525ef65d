/**
 * The groups the virtual device serves, in the order of src/groups/installed.ts, without their
 * CLI commands: what a device in a browser worker loads (the CLI side needs Node and commander).
 * A new group adds one line here too; test/groups/served.test.ts keeps both lists the same.
 */
import { enumServe } from './enum/serve.ts';
import { fsServe } from './fs/serve.ts';
import { imageServe } from './image/serve.ts';
import type { GroupServe } from './installer.ts';
import { osServe } from './os/serve.ts';
import { settingsServe } from './settings/serve.ts';
import { shellServe } from './shell/serve.ts';
import { statServe } from './stat/serve.ts';
import { zephyrBasicServe } from './zephyr-basic/serve.ts';

/** Each served group's handler loader, in installed.ts's order. */
export const GROUP_SERVES: ReadonlyArray<() => Promise<GroupServe>> = [
  osServe,
  statServe,
  imageServe,
  fsServe,
  settingsServe,
  enumServe,
  zephyrBasicServe,
  shellServe,
];
