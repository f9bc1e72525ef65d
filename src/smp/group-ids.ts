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
