import { describe, expect, it } from 'vitest';
import { FsErr } from '../../src/groups/fs/group.ts';
import {
  errorFromResponse,
  MgmtErr,
  SmpError,
  SmpProtocolError,
  SmpTimeoutError,
  translateGroupErrorToV1,
} from '../../src/smp/errors.ts';
import { SmpGroup } from '../../src/smp/group-ids.ts';

describe('device-reported errors', () => {
  it('turns a v2 image group error into words and numbers', () => {
    const error = errorFromResponse({ err: { group: 1, rc: 30 } });
    expect(error).toBeInstanceOf(SmpError);
    expect(error?.message).toBe('image too large for the slot (INVALID_IMAGE_TOO_LARGE, group 1 rc 30)');
    expect(error?.group).toBe(1);
    expect(error?.rc).toBe(30);
    expect(error?.codeName).toBe('INVALID_IMAGE_TOO_LARGE');
  });

  it('names errors of every group', () => {
    expect(errorFromResponse({ err: { group: SmpGroup.Os, rc: 2 } })?.codeName).toBe('INVALID_FORMAT');
    expect(errorFromResponse({ err: { group: SmpGroup.Stat, rc: 3 } })?.codeName).toBe('INVALID_STAT_NAME');
    expect(errorFromResponse({ err: { group: SmpGroup.Fs, rc: 3 } })?.words).toBe('file not found');
    expect(errorFromResponse({ err: { group: SmpGroup.Shell, rc: 3 } })?.codeName).toBe('EMPTY_COMMAND');
    expect(errorFromResponse({ err: { group: SmpGroup.Settings, rc: 3 } })?.codeName).toBe('KEY_NOT_FOUND');
    expect(errorFromResponse({ err: { group: SmpGroup.Enum, rc: 4 } })?.codeName).toBe('INDEX_TOO_LARGE');
    expect(errorFromResponse({ err: { group: SmpGroup.ZephyrBasic, rc: 4 } })?.codeName).toBe(
      'FLASH_ERASE_FAILED',
    );
    expect(errorFromResponse({ err: { group: 77, rc: 5 } })?.message).toBe(
      'unrecognised group 77 error (ERR_5, group 77 rc 5)',
    );
  });

  it('turns a v1 rc into MGMT_ERR words, with the verbose reason and command name', () => {
    const error = errorFromResponse({ rc: 8 }, { command: 'os task stats' });
    expect(error?.message).toBe(
      'os task stats: command not supported by the device (MGMT_ERR_ENOTSUP, rc 8)',
    );
    expect(error?.group).toBeUndefined();
    const verbose = errorFromResponse({ rc: 3, rsn: 'img too large' });
    expect(verbose?.reason).toBe('img too large');
    expect(verbose?.message).toContain('MGMT_ERR_EINVAL, rc 3): img too large');
  });

  it('treats rc 0 and missing rc/err as success, malformed err as a protocol error', () => {
    expect(errorFromResponse({ rc: 0, off: 5 })).toBeUndefined();
    expect(errorFromResponse({ r: 'x' })).toBeUndefined();
    expect(errorFromResponse({ err: { group: 1, rc: 0 } })).toBeUndefined();
    expect(() => errorFromResponse({ err: 'oops' })).toThrow(SmpProtocolError);
    expect(() => errorFromResponse({ rc: 'x' })).toThrow(/not an integer/);
  });

  it('translates group errors to v1 codes like Zephyr', () => {
    expect(translateGroupErrorToV1(SmpGroup.Image, 9)).toBe(MgmtErr.EBADSTATE);
    expect(translateGroupErrorToV1(SmpGroup.Image, 21)).toBe(MgmtErr.EINVAL);
    expect(translateGroupErrorToV1(SmpGroup.Image, 30)).toBe(MgmtErr.EUNKNOWN);
    expect(translateGroupErrorToV1(SmpGroup.Os, 3)).toBe(MgmtErr.ENOENT);
    expect(translateGroupErrorToV1(SmpGroup.Stat, 4)).toBe(MgmtErr.EINVAL);
    expect(translateGroupErrorToV1(SmpGroup.Enum, 2)).toBe(MgmtErr.EUNKNOWN);
    expect(translateGroupErrorToV1(SmpGroup.Image, 0)).toBe(MgmtErr.EOK);
    expect(translateGroupErrorToV1(SmpGroup.Fs, FsErr.MOUNT_POINT_NOT_FOUND)).toBe(MgmtErr.ENOENT);
  });

  it('describes timeouts with the numbers', () => {
    const error = new SmpTimeoutError('os echo', 100, 3, 7);
    expect(error.message).toBe('os echo: no response from the device after 3 attempts of 100 ms (seq 7)');
  });
});
