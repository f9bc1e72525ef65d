/** OS management group (0): ids and errors (Zephyr grp/os_mgmt, os_mgmt_err_code_t and os_mgmt_translate_error_code). */
import { defineGroup, MgmtErr } from '../../smp/group-def.ts';
import { SmpGroup } from '../../smp/group-ids.ts';

export const osGroup = defineGroup({
  id: SmpGroup.Os,
  name: 'os',
  errors: [
    ['OK', 'success'],
    ['UNKNOWN', 'unknown OS error'],
    ['INVALID_FORMAT', 'invalid format string'],
    ['QUERY_YIELDS_NO_ANSWER', 'the query has no answer'],
    ['RTC_NOT_SET', 'the real-time clock is not set'],
    ['RTC_COMMAND_FAILED', 'real-time clock command failed'],
    ['QUERY_RESPONSE_VALUE_NOT_VALID', 'query response value not valid'],
    ['HEAP_STATS_FETCH_FAILED', 'could not fetch heap statistics'],
  ],
  toV1: {
    INVALID_FORMAT: MgmtErr.EINVAL,
    QUERY_YIELDS_NO_ANSWER: MgmtErr.ENOENT,
    RTC_NOT_SET: MgmtErr.ENOENT,
  },
});

export const OsErr = osGroup.code;
