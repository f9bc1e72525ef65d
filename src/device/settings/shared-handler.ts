/**
 * The host side of a settings handler a firmware registered (firmware/zephyr/settings): its values
 * live in memory shared with the firmware (layout in firmware/zephyr/settings/layout.ts), so h_get,
 * h_set and h_export read and write the app's variables directly, with the checks a Zephyr handler
 * typically makes: an unknown key is -ENOENT, a value too long for its variable -EINVAL.
 */
import {
  readSlot,
  type SettingsSlot,
  type SettingsValueSpec,
  settingsSlots,
  writeSlot,
} from '../../../firmware/zephyr/settings/layout.ts';
import type { SettingsHandler } from './handler.ts';

const ENOENT = -2;
const EINVAL = -22;

export function sharedMemoryHandler(
  subtree: string,
  specs: readonly SettingsValueSpec[],
  memory: SharedArrayBuffer,
): SettingsHandler {
  const { slots, size } = settingsSlots(specs);
  if (memory.byteLength < size) {
    throw new RangeError(
      `settings handler "${subtree}": ${memory.byteLength} bytes of memory, ${size} needed`,
    );
  }
  const byName = new Map<string, SettingsSlot>(slots.map((slot) => [slot.spec.name, slot]));
  return {
    name: subtree,
    get(key, maxLen) {
      const slot = key === undefined ? undefined : byName.get(key);
      if (!slot) return ENOENT;
      const value = readSlot(memory, slot);
      if (value === undefined) return ENOENT;
      return value.subarray(0, maxLen);
    },
    set(key, value) {
      const slot = key === undefined ? undefined : byName.get(key);
      if (!slot) return ENOENT;
      if (value.length > slot.spec.maxLen) return EINVAL;
      writeSlot(memory, slot, value);
      return 0;
    },
    export(save) {
      for (const slot of slots) {
        const value = readSlot(memory, slot);
        if (value === undefined) continue;
        const rc = save(`${subtree}/${slot.spec.name}`, value);
        if (rc !== 0) return rc;
      }
      return 0;
    },
  };
}
