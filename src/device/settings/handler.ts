/**
 * A settings handler as Zephyr's `struct settings_handler` (include/zephyr/settings/settings.h,
 * v3.5.0): the subtree it owns and its h_get / h_set / h_commit / h_export callbacks. Values are
 * raw bytes; callbacks answer 0 or a negative errno, as in C.
 */

export interface SettingsHandler {
  /** The subtree it owns, e.g. "blinky" (a key "blinky/rate" reaches it as "rate"). */
  readonly name: string;
  /**
   * h_get: the value of `key` (undefined when the request names the subtree itself), at most
   * `maxLen` bytes, or a negative errno (-ENOENT for a key it does not know).
   */
  get?(key: string | undefined, maxLen: number): Uint8Array | number;
  /** h_set: takes a new value for `key`; 0 or a negative errno (-ENOENT, -EINVAL). */
  set?(key: string | undefined, value: Uint8Array): number;
  /** h_commit: the values loaded or set so far are complete; apply them. */
  commit?(): number;
  /** h_export: hands every value it holds to `save` (settings_save_one); 0 or a negative errno. */
  export?(save: (name: string, value: Uint8Array) => number): number;
}
