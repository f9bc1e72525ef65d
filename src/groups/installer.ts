/**
 * How a group plugs into the two Node-side hosts: the virtual device's SMP server (`serve`) and the
 * zdfu CLI (`cli`). Each group's install.ts exports one; src/groups/installed.ts lists them.
 */
import type { Command } from 'commander';
import type { ContextFactory } from '../cli/conn.ts';
import type { DeviceServices } from '../device/server/services.ts';
import type { SmpServer } from '../device/server/smp-server.ts';
import type { GroupDefinition } from '../smp/group-def.ts';

/** Registers a group's handlers on a device's SMP server. */
export type GroupServe = (server: SmpServer, services: DeviceServices) => void;

export interface GroupInstaller {
  readonly group: GroupDefinition;
  /**
   * Loads the group's device handlers. A dynamic import, so the CLI, which lists every group's
   * commands, does not load (nor start up slower for) the virtual device's side of each group.
   */
  serve?(): Promise<GroupServe>;
  /** Adds the group's commands to the zdfu CLI. */
  cli?(program: Command, context: ContextFactory): void;
}
