// What the bootloader model carries through one boot: the flash areas, the build configuration,
// the swap progress (boot_status) and the log.
import { SwapType } from '../../image/trailer.ts';
import type { McubootConfig } from '../boards/board.ts';
import type { FlashArea } from '../flash.ts';

export interface BootAreas {
  primary: FlashArea;
  secondary: FlashArea;
  /** Required for swap using scratch. */
  scratch?: FlashArea;
}

export interface LoaderState {
  areas: BootAreas;
  config: McubootConfig;
  /** BOOT_WRITE_SZ: the largest write alignment of primary and scratch. */
  writeSize: number;
  log: (line: string) => void;
  /** boot_status_fails: status writes that failed and were only counted (BOOT_STATUS_ASSERT). */
  statusFails: number;
}

export type StatusSource = 'none' | 'primary' | 'scratch';

/** boot_status: idx counts swap operations from 1, state is 1..3 (STATE_0..STATE_2). */
export interface BootStatus {
  idx: number;
  state: number;
  swapType: SwapType;
  swapSize: number;
  source: StatusSource;
  useScratch: boolean;
}

export function resetStatus(): BootStatus {
  return { idx: 1, state: 1, swapType: SwapType.NONE, swapSize: 0, source: 'none', useScratch: false };
}

export function isStatusReset(bs: BootStatus): boolean {
  return bs.idx === 1 && bs.state === 1;
}

export function makeLoaderState(
  areas: BootAreas,
  config: McubootConfig,
  log: (line: string) => void,
): LoaderState {
  const writeSize = Math.max(areas.primary.align, areas.scratch?.align ?? 1);
  return { areas, config, writeSize, log, statusFails: 0 };
}
