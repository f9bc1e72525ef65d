/** MCUmgr group ids (Zephyr `enum mcumgr_group_t`); groups below 64 are reserved for the system. */
export enum SmpGroup {
  Os = 0,
  Image = 1,
  Stat = 2,
  Settings = 3,
  Fs = 8,
  Shell = 9,
  Enum = 10,
  ZephyrBasic = 63,
}

/** Lower-case group names as users know them from mcumgr ("image", "stat", ...). */
export const SMP_GROUP_NAMES: Readonly<Record<number, string>> = {
  [SmpGroup.Os]: 'os',
  [SmpGroup.Image]: 'image',
  [SmpGroup.Stat]: 'stat',
  [SmpGroup.Settings]: 'settings',
  [SmpGroup.Fs]: 'fs',
  [SmpGroup.Shell]: 'shell',
  [SmpGroup.Enum]: 'enum',
  [SmpGroup.ZephyrBasic]: 'zephyr-basic',
};

export function groupName(group: number): string {
  return SMP_GROUP_NAMES[group] ?? `group ${group}`;
}
