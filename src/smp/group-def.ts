/**
 * What the SMP core knows of a group: its id, the name users know it by, and its v2 error table
 * (Zephyr's `<group>_mgmt_err_code_t`, with words) and how a server translates those errors for a
 * v1 client (the group's `<group>_mgmt_translate_error_code`). Each group declares its own in
 * src/groups/<name>/group.ts; src/groups/catalog.ts lists them.
 */
import { type CodeInfo, MgmtErr } from './mgmt-err.ts';

export interface GroupDefinition<Code extends string = string> {
  readonly id: number;
  /** Lower-case name as users know it from mcumgr ("image", "fs", ...). */
  readonly name: string;
  /** v2 error codes (`err.rc`), indexed by code; 0 is OK. */
  readonly errors: ReadonlyArray<CodeInfo>;
  /** The code of each error by Zephyr's name, e.g. `FsErr.FILE_NOT_FOUND`. */
  readonly code: Readonly<Record<Code, number>>;
  /** v2 code → legacy rc for v1 clients; a code not listed becomes MGMT_ERR_EUNKNOWN. */
  readonly toV1: Readonly<Record<number, MgmtErr>>;
}

export interface GroupSpec<Code extends string> {
  readonly id: number;
  readonly name: string;
  /** [Zephyr's name without the group prefix, words], in code order from 0 (OK). */
  readonly errors: ReadonlyArray<readonly [Code, string]>;
  /** Zephyr's v1 translation by error name; omit for groups without a translator. */
  readonly toV1?: Partial<Record<Code, MgmtErr>>;
}

export function defineGroup<const Code extends string>(spec: GroupSpec<Code>): GroupDefinition<Code> {
  const code = {} as Record<Code, number>;
  spec.errors.forEach(([name], index) => {
    code[name] = index;
  });
  const toV1: Record<number, MgmtErr> = {};
  for (const [name, rc] of Object.entries(spec.toV1 ?? {}) as Array<[Code, MgmtErr]>) toV1[code[name]] = rc;
  return Object.freeze({
    id: spec.id,
    name: spec.name,
    errors: spec.errors.map(([name, words]) => ({ name, words })),
    code: Object.freeze(code),
    toV1: Object.freeze(toV1),
  });
}

export { MgmtErr };
