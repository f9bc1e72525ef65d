/** Zephyr basic management group (63): ids and errors (Zephyr grp/zephyr_basic, zephyr_basic_group_err_code_t and zephyr_basic_group_translate_error_code). */
import { defineGroup, MgmtErr } from '../../smp/group-def.ts';
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
  // basic_mgmt.c translates the two flash failures to MGMT_ERR_EOK: smp.c then sends a v1 client
  // the handler's {"err": {...}} body as it is.
  toV1: {
    FLASH_OPEN_FAILED: MgmtErr.ENOENT,
    FLASH_CONFIG_QUERY_FAIL: MgmtErr.EOK,
    FLASH_ERASE_FAILED: MgmtErr.EOK,
  },
});

export const ZephyrBasicErr = zephyrBasicGroup.code;
