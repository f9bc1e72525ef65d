/** Enumeration management group (10): ids and errors (Zephyr grp/enum_mgmt, enum_mgmt_err_code_t; no v1 translator). */
import { defineGroup } from '../../smp/group-def.ts';
import { SmpGroup } from '../../smp/group-ids.ts';

export const enumGroup = defineGroup({
  id: SmpGroup.Enum,
  name: 'enum',
  errors: [
    ['OK', 'success'],
    ['UNKNOWN', 'unknown enumeration error'],
    ['TOO_MANY_GROUP_ENTRIES', 'too many group entries'],
    ['INSUFFICIENT_HEAP_FOR_ENTRIES', 'not enough heap for the entries'],
    ['INDEX_TOO_LARGE', 'group index too large'],
  ],
});

export const EnumErr = enumGroup.code;
