/**
 * Zephyr basic management group (63) of the virtual device's SMP server, as Zephyr's
 * grp/zephyr_basic/src/basic_mgmt.c: erase storage erases the whole storage_partition (v3.5.0
 * flash_area_erase over fa_size; later releases flatten). A mounted file system is not told: its
 * files are gone once the next boot mounts the blank partition (LittleFS formats it then).
 */

import { type FlashArea, PowerCut } from '../../device/flash.ts';
import { GroupError } from '../../device/server/mgmt-error.ts';
import type { SmpServer } from '../../device/server/smp-server.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { ZephyrBasicErr } from './group.ts';
import { eraseStorage } from './models.ts';

export interface ZephyrBasicGroupOptions {
  /** The board's storage_partition; undefined when it has none. */
  readonly storage: FlashArea | undefined;
  readonly log?: (level: 'inf' | 'wrn' | 'err', message: string) => void;
}

export function registerZephyrBasicGroup(server: SmpServer, options: ZephyrBasicGroupOptions): void {
  server.register(
    eraseStorage,
    () => {
      const area = options.storage;
      if (area === undefined) {
        options.log?.('err', 'Failed to open flash area');
        throw new GroupError(
          SmpGroup.ZephyrBasic,
          ZephyrBasicErr.FLASH_OPEN_FAILED,
          'the board has no storage_partition',
        );
      }
      try {
        area.erase(0, area.size);
      } catch (error) {
        // A power cut is the board's, not an answer.
        if (error instanceof PowerCut) throw error;
        options.log?.('err', 'Failed to erase flash area');
        throw new GroupError(
          SmpGroup.ZephyrBasic,
          ZephyrBasicErr.FLASH_ERASE_FAILED,
          `erasing storage_partition failed: ${(error as Error).message}`,
        );
      }
      return {};
    },
    { readsRequest: false },
  );
}
