// boot_swap_type_multi: the trailer-state → swap-type decision, as a table read top to bottom
// (first matching row wins), so it can be checked line by line against bootutil_public.c.
import { BootFlag, BootMagic, SwapType } from '../../image/trailer.ts';
import type { SwapState } from './trailer-io.ts';

type MagicCell = 'GOOD' | 'UNSET' | 'ANY';
type FlagCell = 'SET' | 'UNSET' | 'ANY';

export interface SwapTableRow {
  primaryMagic: MagicCell;
  secondaryMagic: MagicCell;
  primaryImageOk: FlagCell;
  secondaryImageOk: FlagCell;
  primaryCopyDone: FlagCell;
  /** Only swap-using-offset's table looks at the secondary's copy_done. */
  secondaryCopyDone?: FlagCell;
  result: SwapType;
}

/** MCUboot ≥ v2.2.0 (swap-scratch/move/overwrite; swap-offset adds a first row). */
// biome-ignore format: one row per line, to read against bootutil_public.c boot_swap_tables
export const SWAP_TABLE: readonly SwapTableRow[] = [
  { primaryMagic: 'ANY',  secondaryMagic: 'GOOD', primaryImageOk: 'ANY',   secondaryImageOk: 'UNSET', primaryCopyDone: 'ANY', result: SwapType.TEST },
  { primaryMagic: 'ANY',  secondaryMagic: 'GOOD', primaryImageOk: 'ANY',   secondaryImageOk: 'SET',   primaryCopyDone: 'ANY', result: SwapType.PERM },
  { primaryMagic: 'GOOD', secondaryMagic: 'ANY',  primaryImageOk: 'UNSET', secondaryImageOk: 'ANY',   primaryCopyDone: 'SET', result: SwapType.REVERT },
];

/** MCUboot v2.0.0 (Zephyr 3.5 era): the REVERT row required the secondary magic UNSET (fixed by PR #2100). */
export const SWAP_TABLE_V2_0_0: readonly SwapTableRow[] = [
  SWAP_TABLE[0]!,
  SWAP_TABLE[1]!,
  { ...SWAP_TABLE[2]!, secondaryMagic: 'UNSET' },
];

/**
 * Swap using offset (MCUBOOT_SWAP_USING_OFFSET): a first REVERT row for a revert interrupted after
 * fixup_revert marked the secondary (magic good, copy_done set, image_ok unset).
 */
export const SWAP_TABLE_OFFSET: readonly SwapTableRow[] = [
  { ...SWAP_TABLE[0]!, secondaryCopyDone: 'SET', result: SwapType.REVERT },
  ...SWAP_TABLE,
];

function magicMatches(cell: MagicCell, value: BootMagic): boolean {
  return cell === 'ANY' || BootMagic[cell] === value;
}

function flagMatches(cell: FlagCell, value: BootFlag): boolean {
  return cell === 'ANY' || BootFlag[cell] === value;
}

export interface SwapDecision {
  swapType: SwapType;
  /** Index of the matching row, or -1 when none matched (NONE). */
  row: number;
}

export function decideSwapType(
  primary: SwapState,
  secondary: SwapState,
  table: readonly SwapTableRow[] = SWAP_TABLE,
): SwapDecision {
  for (let row = 0; row < table.length; row++) {
    const r = table[row]!;
    if (
      magicMatches(r.primaryMagic, primary.magic) &&
      magicMatches(r.secondaryMagic, secondary.magic) &&
      flagMatches(r.primaryImageOk, primary.imageOk) &&
      flagMatches(r.secondaryImageOk, secondary.imageOk) &&
      flagMatches(r.primaryCopyDone, primary.copyDone) &&
      flagMatches(r.secondaryCopyDone ?? 'ANY', secondary.copyDone)
    ) {
      return { swapType: r.result, row };
    }
  }
  return { swapType: SwapType.NONE, row: -1 };
}

/** TEST, PERM and REVERT all move images (BOOT_IS_UPGRADE). */
export function isUpgrade(t: SwapType): boolean {
  return t === SwapType.TEST || t === SwapType.PERM || t === SwapType.REVERT;
}

/** The table a given MCUboot release uses: the REVERT row changed in v2.2.0. */
export function swapTableFor(mcubootVersion: string): readonly SwapTableRow[] {
  const m = /^v?(\d+)\.(\d+)/.exec(mcubootVersion);
  if (!m) return SWAP_TABLE;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 2 || (major === 2 && minor >= 2) ? SWAP_TABLE : SWAP_TABLE_V2_0_0;
}
