// boot_go: run MCUboot once, as after a reset, with the loader the build's mode selects
// (loader.c's context_boot_go for the swap and overwrite builds, its DIRECT_XIP/RAM_LOAD
// counterpart otherwise), then print what Zephyr's boot/zephyr/main.c prints before jumping.
import { SwapType } from '../../image/trailer.ts';
import type { Board, McubootMode } from '../boards/board.ts';
import type { BoardFlashes } from '../boards/flashes.ts';
import { type Flash, FlashError } from '../flash.ts';
import type { BootResult, LayoutBootContext, RamBuffer } from './boot-types.ts';
import { BootPanic } from './errors.ts';
import {
  type BootLayout,
  bootLayoutFromBoard,
  bootSetupFromBoard,
  checkLayout,
  layoutFlashes,
} from './layout.ts';
import { type LoaderOutcome, UpgradeLoader } from './loader.ts';
import type { BootAreas } from './loader-state.ts';
import { XipLoader } from './loader-xip.ts';
import { swapMove } from './swap-move.ts';
import { swapOffset } from './swap-offset.ts';
import { swapScratch } from './swap-scratch.ts';
import type { SwapStrategy } from './swap-strategy.ts';
import type { SwapTableRow } from './swap-type.ts';

export type {
  BootResult,
  ImageBootResult,
  ImageValidator,
  LayoutBootContext,
  RamBuffer,
  SlotName,
} from './boot-types.ts';

/** Today's board-shaped call: the layout and configuration come from the Board (layout.ts). */
export interface BoardBootContext {
  /** One Flash for a board with one flash device, else one per device (createBoardFlashes). */
  flash: Flash | BoardFlashes;
  board: Board;
  validate: LayoutBootContext['validate'];
  swapTable?: readonly SwapTableRow[];
  onLog?: (line: string) => void;
}

export type BootGoContext = LayoutBootContext | BoardBootContext;

/** The swap strategy module a swap build links in. */
export function swapStrategyFor(mode: McubootMode): SwapStrategy | undefined {
  switch (mode) {
    case 'swap-scratch':
      return swapScratch;
    case 'swap-move':
      return swapMove;
    case 'swap-offset':
      return swapOffset;
    default:
      return undefined;
  }
}

/** Image 0's primary and secondary (+ scratch) areas on a board. */
export function bootAreas(flash: Flash | BoardFlashes, board: Board): BootAreas {
  return bootLayoutFromBoard(board, flash).images[0]!;
}

function toLayoutContext(ctx: BootGoContext): LayoutBootContext {
  if (!('board' in ctx)) return ctx;
  const setup = bootSetupFromBoard(ctx.board, ctx.flash);
  const out: LayoutBootContext = {
    layout: setup.layout,
    config: setup.config,
    banner: setup.banner,
    mcubootVersion: setup.mcubootVersion,
    validate: ctx.validate,
  };
  if (ctx.swapTable) out.swapTable = ctx.swapTable;
  if (ctx.onLog) out.onLog = ctx.onLog;
  return out;
}

function ramFor(ctx: LayoutBootContext): RamBuffer | undefined {
  if (ctx.config.mode !== 'ram-load') return undefined;
  if (ctx.ram) return ctx.ram;
  const region = ctx.config.executableRam;
  return region ? { start: region.start, bytes: new Uint8Array(region.size) } : undefined;
}

function chainload(layout: BootLayout, outcome: LoaderOutcome): { offset: number; address: number } {
  const img = layout.images[0]!;
  const area = outcome.images[0]?.slot === 'secondary' ? img.secondary : img.primary;
  return { offset: area.offset, address: (layout.mappedAt.get(area.flash) ?? 0) + area.offset };
}

/**
 * Run MCUboot once, as after a reset. A PowerCut thrown by the flash propagates unchanged:
 * the caller powers the flash back on and calls bootGo again. Where MCUboot would stop for good
 * (BootPanic), the result is a boot that did not boot: its lines so far, then nothing. A layout
 * the build could not have had throws BootLayoutError before anything runs.
 */
export async function bootGo(context: BootGoContext): Promise<BootResult> {
  const ctx = toLayoutContext(context);
  checkLayout(ctx.layout, ctx.config);
  const flashes = layoutFlashes(ctx.layout);
  const mutationsBefore = flashes.reduce((n, f) => n + f.mutations, 0);
  const timeBefore = flashes.reduce((n, f) => n + f.stats.timeUs, 0);
  const log: string[] = [];
  const say = (line: string) => {
    log.push(line);
    ctx.onLog?.(line);
  };
  for (const line of ctx.banner ?? []) say(line);
  say('I: Starting bootloader');
  const ram = ramFor(ctx);
  const mode = ctx.config.mode;
  const xip = mode === 'direct-xip' || mode === 'direct-xip-revert' || mode === 'ram-load';
  let outcome: LoaderOutcome;
  try {
    outcome = xip
      ? await new XipLoader(ctx, ctx.layout, ram, say).run()
      : await new UpgradeLoader(ctx, swapStrategyFor(mode), say).run();
  } catch (error) {
    // A failed flash operation (the flash refuses to program a byte that is not erased) hits an
    // `assert(rc == 0)` in MCUboot (swap_*.c, loader.c): the board stops.
    let panic: BootPanic;
    if (error instanceof FlashError) panic = new BootPanic(`a flash operation failed: ${error.message}`);
    else if (error instanceof BootPanic) panic = error;
    else throw error;
    for (const line of panic.consoleLines) say(line);
    outcome = { ok: false, images: [], reason: `MCUboot stopped: ${panic.message}` };
    return finish(ctx, outcome, log, ram, false, flashes, mutationsBefore, timeBefore);
  }
  return finish(ctx, outcome, log, ram, true, flashes, mutationsBefore, timeBefore, say);
}

function finish(
  ctx: LayoutBootContext,
  outcome: LoaderOutcome,
  log: string[],
  ram: RamBuffer | undefined,
  ran: boolean,
  flashes: Flash[],
  mutationsBefore: number,
  timeBefore: number,
  say?: (line: string) => void,
): BootResult {
  const where = chainload(ctx.layout, outcome);
  if (ran && say) {
    if (outcome.ok) {
      // boot/zephyr/main.c after boot_go succeeded.
      say(`I: Bootloader chainload address offset: 0x${where.offset.toString(16)}`);
      say('I: Jumping to the first image slot');
    } else {
      say('E: Unable to find bootable image');
    }
  }
  const first = outcome.images[0];
  const result: BootResult = {
    booted: outcome.ok,
    swapType: first?.swapType ?? SwapType.NONE,
    resumed: first?.resumed ?? false,
    log,
    imageOffset: where.offset,
    imageAddress: where.address,
    images: outcome.images,
    flashOps: flashes.reduce((n, f) => n + f.mutations, 0) - mutationsBefore,
    flashTimeUs: flashes.reduce((n, f) => n + f.stats.timeUs, 0) - timeBefore,
  };
  if (outcome.ok && first) {
    if (first.headerSize !== undefined) result.headerSize = first.headerSize;
    if (first.version) result.version = first.version;
  }
  if (outcome.reason !== undefined) result.reason = outcome.reason;
  if (ram) result.ram = ram;
  return result;
}
