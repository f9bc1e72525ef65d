/**
 * Settings (zephyr/settings/settings.h) for a firmware app: settings_subsys_init, a handler for the
 * app's subtree, settings_load. As SETTINGS_STATIC_HANDLER_DEFINE gives the subsystem callbacks
 * into the app's RAM, settings_register_values gives it memory shared with the host: the host's
 * settings subsystem (src/device/settings) answers SMP settings read/write/save from it live, and
 * settings_load fills it from the storage backend. The app reads its values after settings_load.
 */
import { type SettingsCall, zephyrHost } from '../host.ts';
import { readSlot, type SettingsSlot, type SettingsValueSpec, settingsSlots } from './layout.ts';

export type { SettingsValueSpec } from './layout.ts';

export interface SettingsValues<Name extends string> {
  readonly subtree: string;
  readonly memory: SharedArrayBuffer;
  readonly slots: ReadonlyMap<Name, SettingsSlot>;
}

/** Initialises the settings backend (the file on the mounted file system); 0 or a negative errno. */
export function settings_subsys_init(): Promise<number> {
  return call('init');
}

/** Registers the app's handler for `subtree` with one slot per value. */
export function settings_register_values<const Name extends string>(
  subtree: string,
  specs: ReadonlyArray<SettingsValueSpec & { readonly name: Name }>,
): SettingsValues<Name> {
  const memory = zephyrHost().settingsRegister(subtree, specs);
  const { slots } = settingsSlots(specs);
  return { subtree, memory, slots: new Map(slots.map((slot) => [slot.spec.name as Name, slot])) };
}

/** Loads every stored value into the registered handlers, then commits; 0 or a negative errno. */
export function settings_load(): Promise<number> {
  return call('load');
}

/** The bytes a value holds now, or undefined when nothing set it (not stored, not written). */
export function settings_value<Name extends string>(
  values: SettingsValues<Name>,
  name: Name,
): Uint8Array | undefined {
  const slot = values.slots.get(name);
  if (slot === undefined) throw new Error(`settings handler '${values.subtree}' has no value '${name}'`);
  return readSlot(values.memory, slot);
}

function call(what: SettingsCall): Promise<number> {
  return zephyrHost().settingsCall(what);
}
