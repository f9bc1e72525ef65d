/**
 * SMP-level result codes (Zephyr `enum mcumgr_err_t`, include/zephyr/mgmt/mcumgr/mgmt/mgmt_defines.h),
 * sent as `{"rc": n}` by SMP v1 servers and for errors outside any group. Kept apart from the
 * group tables so a group's table can name the legacy code its errors translate to.
 */
export enum MgmtErr {
  EOK = 0,
  EUNKNOWN = 1,
  ENOMEM = 2,
  EINVAL = 3,
  ETIMEOUT = 4,
  ENOENT = 5,
  EBADSTATE = 6,
  EMSGSIZE = 7,
  ENOTSUP = 8,
  ECORRUPT = 9,
  EBUSY = 10,
  EACCESSDENIED = 11,
  UNSUPPORTED_TOO_OLD = 12,
  UNSUPPORTED_TOO_NEW = 13,
  EPERUSER = 256,
}

export interface CodeInfo {
  readonly name: string;
  readonly words: string;
}

/** Names and plain-language meanings of the legacy `rc` codes. */
export const MGMT_ERRORS: Readonly<Record<number, CodeInfo>> = {
  0: { name: 'MGMT_ERR_EOK', words: 'success' },
  1: { name: 'MGMT_ERR_EUNKNOWN', words: 'unknown error' },
  2: { name: 'MGMT_ERR_ENOMEM', words: 'device is out of memory' },
  3: { name: 'MGMT_ERR_EINVAL', words: 'invalid request value' },
  4: { name: 'MGMT_ERR_ETIMEOUT', words: 'operation timed out on the device' },
  5: { name: 'MGMT_ERR_ENOENT', words: 'no such entry' },
  6: { name: 'MGMT_ERR_EBADSTATE', words: 'the current device state does not allow this command' },
  7: { name: 'MGMT_ERR_EMSGSIZE', words: 'response too large for the device buffer' },
  8: { name: 'MGMT_ERR_ENOTSUP', words: 'command not supported by the device' },
  9: { name: 'MGMT_ERR_ECORRUPT', words: 'corrupt request payload' },
  10: { name: 'MGMT_ERR_EBUSY', words: 'device is busy with another command' },
  11: { name: 'MGMT_ERR_EACCESSDENIED', words: 'access denied' },
  12: { name: 'MGMT_ERR_UNSUPPORTED_TOO_OLD', words: 'SMP protocol version too old for the device' },
  13: { name: 'MGMT_ERR_UNSUPPORTED_TOO_NEW', words: 'SMP protocol version too new for the device' },
};
