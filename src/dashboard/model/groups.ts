/**
 * Which optional SMP groups (fs, shell, settings) the device serves, so the page shows only their
 * views: the enumeration group's list when the device has it (Zephyr's
 * CONFIG_MCUMGR_GRP_ENUM), else "unknown" and each view finds out by trying, and a group that
 * answers MGMT_ERR_ENOTSUP is marked refused. Pure.
 */
import { SmpGroup } from '../../smp/group-ids.ts';

export interface ServedGroups {
  /** The enumeration group's list; undefined when the device could not say. */
  readonly listed: ReadonlySet<number> | undefined;
  /** Groups that answered "not supported" when tried. */
  readonly refused: ReadonlySet<number>;
}

export const UNKNOWN_GROUPS: ServedGroups = { listed: undefined, refused: new Set() };

export function fromEnumeration(groups: readonly number[]): ServedGroups {
  return { listed: new Set(groups), refused: new Set() };
}

export function withRefused(served: ServedGroups, group: number): ServedGroups {
  if (served.refused.has(group)) return served;
  return { listed: served.listed, refused: new Set([...served.refused, group]) };
}

/** Shown unless the device listed its groups without this one, or refused it when tried. */
export function isShown(served: ServedGroups, group: number): boolean {
  if (served.refused.has(group)) return false;
  return served.listed === undefined || served.listed.has(group);
}

export const OPTIONAL_GROUPS = {
  fs: SmpGroup.Fs,
  shell: SmpGroup.Shell,
  settings: SmpGroup.Settings,
} as const;
