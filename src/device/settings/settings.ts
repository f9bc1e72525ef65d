/**
 * Zephyr's settings subsystem on the virtual device (subsys/settings/src/settings.c,
 * settings_runtime.c, settings_store.c, settings_init.c; v3.5.0): a tree of handlers, each owning a
 * subtree; runtime get/set/commit straight to a handler; load from the backend through the
 * handlers' h_set, then commit; save through their h_export; delete as a save of an empty value.
 * Return values are 0 or a negative errno, as the C calls return them. Pure: no Node imports.
 */
import type { SettingsHandler } from './handler.ts';
import type { SettingsStore } from './store.ts';

export type { SettingsHandler } from './handler.ts';
export type { SettingsStore } from './store.ts';

const ENOENT = -2;
const EINVAL = -22;
const EEXIST = -17;
const ENOTSUP = -134;

/** SETTINGS_NAME_SEPARATOR, and '=' which also ends a name in settings_name_steq. */
const SEPARATOR = '/';

/**
 * settings_name_steq: does `name` start with `key` up to a separator or its end? Returns the rest
 * after the separator ("" never: a key that is the whole name gives undefined), or null.
 */
export function nameRest(name: string, key: string): string | undefined | null {
  if (!name.startsWith(key)) return null;
  const after = name.slice(key.length);
  if (after === '' || after.startsWith('=')) return undefined;
  if (after.startsWith(SEPARATOR)) return after.slice(1);
  return null;
}

export type SettingsLog = (level: 'inf' | 'wrn' | 'err', message: string) => void;

export class SettingsSubsystem {
  private readonly handlers: SettingsHandler[] = [];

  constructor(
    /** The load source and save destination; undefined as with CONFIG_SETTINGS_NONE. */
    private readonly store: SettingsStore | undefined,
    private readonly log: SettingsLog = () => undefined,
  ) {}

  /** settings_register: -EEXIST when a handler already owns that exact subtree. */
  register(handler: SettingsHandler): number {
    if (this.handlers.some((h) => h.name === handler.name)) return EEXIST;
    this.handlers.push(handler);
    return 0;
  }

  /** Names of the registered subtrees, in registration order. */
  subtrees(): string[] {
    return this.handlers.map((h) => h.name);
  }

  /**
   * settings_parse_and_lookup: the handler whose subtree is the longest match of `name`, and the
   * rest of the name below it (undefined when the name is the subtree itself).
   */
  lookup(name: string): { handler: SettingsHandler; key: string | undefined } | undefined {
    let best: { handler: SettingsHandler; key: string | undefined } | undefined;
    for (const handler of this.handlers) {
      const rest = nameRest(name, handler.name);
      if (rest === null) continue;
      if (best === undefined || handler.name.length > best.handler.name.length) best = { handler, key: rest };
    }
    return best;
  }

  /** settings_runtime_get: the value's bytes, or -EINVAL (no handler), -ENOTSUP (no h_get), h_get's error. */
  runtimeGet(name: string, maxLen: number): Uint8Array | number {
    const found = this.lookup(name);
    if (!found) return EINVAL;
    if (!found.handler.get) return ENOTSUP;
    const value = found.handler.get(found.key, maxLen);
    return typeof value === 'number' ? value : value.subarray(0, maxLen);
  }

  /**
   * settings_runtime_set: -EINVAL without a handler; Zephyr calls h_set unchecked, a handler
   * without one is a build error there, -ENOTSUP here.
   */
  runtimeSet(name: string, value: Uint8Array): number {
    const found = this.lookup(name);
    if (!found) return EINVAL;
    if (!found.handler.set) return ENOTSUP;
    return found.handler.set(found.key, value);
  }

  /** settings_load: every stored value through its handler's h_set, then settings_commit. */
  load(): number {
    if (this.store) {
      const rc = this.store.load((name, value) => {
        const found = this.lookup(name);
        if (!found?.handler.set) return;
        const set = found.handler.set(found.key, value);
        // settings_call_set_handler logs and carries on.
        if (set !== 0) this.log('err', `set-value failure. key: ${name} error(${set})`);
      });
      if (rc !== 0) this.log('err', `settings load from ${this.store.description} failed (${rc})`);
    }
    return this.commit();
  }

  /** settings_commit: every h_commit; the first error is returned, all are called. */
  commit(): number {
    let first = 0;
    for (const handler of this.handlers) {
      const rc = handler.commit?.() ?? 0;
      if (rc !== 0 && first === 0) first = rc;
    }
    return first;
  }

  /** settings_save_one: -ENOENT when there is no save destination. */
  saveOne(name: string, value: Uint8Array): number {
    if (!this.store) return ENOENT;
    return this.store.save(name, value);
  }

  /** settings_delete: a save of the empty value. */
  delete(name: string): number {
    return this.saveOne(name, new Uint8Array(0));
  }

  /** settings_save: every handler's h_export into settings_save_one; -ENOENT without a destination. */
  save(): number {
    if (!this.store) return ENOENT;
    let result = 0;
    for (const handler of this.handlers) {
      const rc = handler.export?.((name, value) => this.saveOne(name, value)) ?? 0;
      if (rc !== 0) result = rc;
    }
    return result;
  }
}
