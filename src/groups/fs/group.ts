/** File-system management group (8): ids and errors (Zephyr grp/fs_mgmt, fs_mgmt_err_code_t and fs_mgmt_translate_error_code). */
import { defineGroup, MgmtErr } from '../../smp/group-def.ts';
import { SmpGroup } from '../../smp/group-ids.ts';

export const fsGroup = defineGroup({
  id: SmpGroup.Fs,
  name: 'fs',
  errors: [
    ['OK', 'success'],
    ['UNKNOWN', 'unknown file-system error'],
    ['FILE_INVALID_NAME', 'invalid file name'],
    ['FILE_NOT_FOUND', 'file not found'],
    ['FILE_IS_DIRECTORY', 'path is a directory'],
    ['FILE_OPEN_FAILED', 'could not open the file'],
    ['FILE_SEEK_FAILED', 'file seek failed'],
    ['FILE_READ_FAILED', 'file read failed'],
    ['FILE_TRUNCATE_FAILED', 'file truncate failed'],
    ['FILE_DELETE_FAILED', 'file delete failed'],
    ['FILE_WRITE_FAILED', 'file write failed'],
    ['FILE_OFFSET_NOT_VALID', 'file offset not valid'],
    ['FILE_OFFSET_LARGER_THAN_FILE', 'file offset larger than the file'],
    ['CHECKSUM_HASH_NOT_FOUND', 'checksum or hash type not supported'],
    ['MOUNT_POINT_NOT_FOUND', 'mount point not found'],
    ['READ_ONLY_FILESYSTEM', 'file system is read-only'],
    ['FILE_EMPTY', 'file is empty'],
  ],
  toV1: {
    FILE_INVALID_NAME: MgmtErr.EINVAL,
    CHECKSUM_HASH_NOT_FOUND: MgmtErr.EINVAL,
    FILE_NOT_FOUND: MgmtErr.ENOENT,
    MOUNT_POINT_NOT_FOUND: MgmtErr.ENOENT,
  },
});

export const FsErr = fsGroup.code;
