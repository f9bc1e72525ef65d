/**
 * How a firmware's settings values sit in the memory it shares with the host: for each value, a
 * 32-bit length (-1: no value yet) then room for `maxLen` bytes, padded to 4. The firmware reads
 * its variables there; the host's settings handler (h_get, h_set, h_export) reads and writes them
 * live, as Zephyr's handler callbacks read and write the app's RAM.
 */

export interface SettingsValueSpec {
  /** The name below the handler's subtree, e.g. "rate" for "blinky/rate". */
  readonly name: string;
  /** The most bytes the value may hold; a longer h_set is refused with -EINVAL. */
  readonly maxLen: number;
}

export const SETTINGS_UNSET = -1;

export interface SettingsSlot {
  readonly spec: SettingsValueSpec;
  /** Byte offset of the slot's length field. */
  readonly offset: number;
}

export function settingsSlots(specs: readonly SettingsValueSpec[]): { slots: SettingsSlot[]; size: number } {
  const slots: SettingsSlot[] = [];
  let offset = 0;
  for (const spec of specs) {
    slots.push({ spec, offset });
    offset += 4 + Math.ceil(spec.maxLen / 4) * 4;
  }
  return { slots, size: offset };
}

/** The value held in a slot, or undefined when none was ever set. */
export function readSlot(memory: SharedArrayBuffer, slot: SettingsSlot): Uint8Array | undefined {
  const length = Atomics.load(new Int32Array(memory, slot.offset, 1), 0);
  if (length < 0) return undefined;
  return new Uint8Array(memory, slot.offset + 4, Math.min(length, slot.spec.maxLen)).slice();
}

/** Stores a value (undefined clears it); the length goes last so a reader never sees half of it. */
export function writeSlot(
  memory: SharedArrayBuffer,
  slot: SettingsSlot,
  value: Uint8Array | undefined,
): void {
  const length = new Int32Array(memory, slot.offset, 1);
  if (value === undefined) {
    Atomics.store(length, 0, SETTINGS_UNSET);
    return;
  }
  Atomics.store(length, 0, SETTINGS_UNSET);
  new Uint8Array(memory, slot.offset + 4, value.length).set(value);
  Atomics.store(length, 0, value.length);
}
