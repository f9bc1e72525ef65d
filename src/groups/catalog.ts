/**
 * Registration 1 of 2: every SMP group the core knows (ids, names, error tables with words). Pure:
 * the client reads error words from here in Node and in browsers. A new group adds one line.
 */
import type { GroupDefinition } from '../smp/group-def.ts';
import { enumGroup } from './enum/group.ts';
import { fsGroup } from './fs/group.ts';
import { imageGroup } from './image/group.ts';
import { osGroup } from './os/group.ts';
import { settingsGroup } from './settings/group.ts';
import { shellGroup } from './shell/group.ts';
import { statGroup } from './stat/group.ts';
import { zephyrBasicGroup } from './zephyr-basic/group.ts';

export const SMP_GROUPS: ReadonlyArray<GroupDefinition> = [
  osGroup,
  imageGroup,
  statGroup,
  settingsGroup,
  fsGroup,
  shellGroup,
  enumGroup,
  zephyrBasicGroup,
];

const byId = new Map(SMP_GROUPS.map((group) => [group.id, group]));

export function groupDefinition(id: number): GroupDefinition | undefined {
  return byId.get(id);
}

/** The group's name as users know it ("image"), or "group N" for one zdfu does not know. */
export function groupName(id: number): string {
  return byId.get(id)?.name ?? `group ${id}`;
}
