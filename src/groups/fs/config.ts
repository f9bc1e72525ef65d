/**
 * How the virtual device's fs_mgmt is built: Zephyr v3.5.0's Kconfig defaults
 * (subsys/mgmt/mcumgr/grp/fs_mgmt/Kconfig) for smp_svr with overlay-fs.conf, plus the
 * hash/checksum options that overlay leaves off (CONFIG_MCUMGR_GRP_FS_CHECKSUM_HASH,
 * _HASH_SHA256, _CHECKSUM_HASH_SUPPORTED_CMD), so that the group's five commands all answer. The
 * download chunk size follows fs_mgmt_config.h.
 */

export type HashChecksumType = 'crc32' | 'sha256';

export interface FsMgmtConfig {
  /** CONFIG_MCUMGR_GRP_FS_PATH_LEN (default 64): longest name, in bytes, a request may carry. */
  readonly pathLen: number;
  /**
   * CONFIG_MCUMGR_GRP_FS_FILE_AUTOMATIC_IDLE_CLOSE_TIME (default 4000 ms): an upload or download
   * left idle this long has its file closed.
   */
  readonly idleCloseMs: number;
  /** CONFIG_MCUMGR_GRP_FS_MAX_OFFSET_LEN: 3 with the default MAX_FILE_SIZE_64KB, 5 with _4GB. */
  readonly maxOffsetLen: number;
  /** CONFIG_MCUMGR_GRP_FS_CHECKSUM_HASH_CHUNK_SIZE (default 128): bytes read per hashing step. */
  readonly hashChunkSize: number;
  /** Registered hash/checksum types, in registration order (crc32 first, as fs_mgmt does). */
  readonly hashTypes: ReadonlyArray<HashChecksumType>;
  /** CONFIG_MCUMGR_GRP_FS_CHECKSUM_HASH_SUPPORTED_CMD: answer command 3. */
  readonly supportedTypesCommand: boolean;
  /** CONFIG_MCUMGR_GRP_FS_FILE_STATUS (default y): answer command 1. */
  readonly fileStatus: boolean;
}

export const DEFAULT_FS_MGMT_CONFIG: FsMgmtConfig = {
  pathLen: 64,
  idleCloseMs: 4000,
  maxOffsetLen: 3,
  hashChunkSize: 128,
  hashTypes: ['crc32', 'sha256'],
  supportedTypesCommand: true,
  fileStatus: true,
};

/** SMP header size (MGMT_HDR_SIZE). */
const MGMT_HDR_SIZE = 8;

/**
 * MCUMGR_GRP_FS_DL_CHUNK_SIZE: the netbuf less the most a download answer's header and CBOR can
 * take (fs_mgmt_config.h CBOR_AND_OTHER_HDR): header, an indefinite map with its break, "off",
 * "data", "rc" and "len" with offsets of `maxOffsetLen` bytes.
 */
export function downloadChunkSize(netbufSize: number, config: FsMgmtConfig = DEFAULT_FS_MGMT_CONFIG): number {
  const n = config.maxOffsetLen;
  const overhead = MGMT_HDR_SIZE + (9 + 1) + (1 + 3 + n) + (1 + 4 + n) + (1 + 2 + 1) + (1 + 3 + n);
  return netbufSize - overhead;
}

/** What `fs types` answers for each type: `format` 0 = number, 1 = byte string; `size` in bytes. */
export const HASH_CHECKSUM_INFO: Readonly<Record<HashChecksumType, { format: 0 | 1; size: number }>> = {
  crc32: { format: 0, size: 4 },
  sha256: { format: 1, size: 32 },
};
