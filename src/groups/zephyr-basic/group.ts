/** Zephyr basic management group (63): ids and errors (Zephyr grp/zephyr_basic, zephyr_basic_group_err_code_t). */
import { defineGroup } from '../../smp/group-def.ts';
import { SmpGroup } from '../../smp/group-ids.ts';

export const zephyrBasicGroup = defineGroup({
  id: SmpGroup.ZephyrBasic,
  name: 'zephyr-basic',
  errors: [
    ['OK', 'success'],
    ['UNKNOWN', 'unknown error'],
    ['FLASH_OPEN_FAILED', 'could not open the storage flash area'],
    ['FLASH_CONFIG_QUERY_FAIL', 'storage flash configuration query failed'],
    ['FLASH_ERASE_FAILED', 'storage flash erase failed'],
  ],
});

export const ZephyrBasicErr = zephyrBasicGroup.code;
