/**
 * Where settings persist: Zephyr's `struct settings_store` with its `settings_store_itf`
 * (subsys/settings/include/settings/settings_priv.h... settings_store.c, v3.5.0). A backend is a
 * load source and a save destination.
 */

export interface SettingsStore {
  /** What and where, for logs ("file /lfs1/settings/run"). */
  readonly description: string;
  /**
   * csi_load: hands every live value (the newest record of each name, deletions dropped) to
   * `set`, oldest first. 0 or a negative errno.
   */
  load(set: (name: string, value: Uint8Array) => void): number;
  /** csi_save: stores one value; an empty value deletes the name. 0 or a negative errno. */
  save(name: string, value: Uint8Array): number;
}
