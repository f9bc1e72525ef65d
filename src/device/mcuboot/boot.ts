// context_boot_go for a single image: finish an interrupted swap, else decide the swap type,
// validate the candidate, upgrade, validate the primary slot and hand over to it.
import { ImageFlag } from '../../image/format.ts';
import { SwapType, swapTypeName } from '../../image/trailer.ts';
import type { Board } from '../boards/board.ts';
import { type BootBoard, bootBoardFromBoard } from '../boards/boot-board.ts';
import type { BoardFlashes } from '../boards/index.ts';
import { type Flash, FlashArea, FlashError } from '../flash.ts';
import { BootPanic } from './errors.ts';
import { type BootImageHeader, headerValid, IMAGE_MAGIC, imageSize, readHeader } from './image-header.ts';
import {
  type BootAreas,
  type BootStatus,
  isStatusReset,
  type LoaderState,
  makeLoaderState,
  resetStatus,
} from './loader-state.ts';
import { copyImage } from './overwrite.ts';
import { eraseRegion } from './regions.ts';
import {
  checkResumableSwapSize,
  readStatus,
  scrambleTrailerSectors,
  setImageOkIfUnset,
  slotsCompatible,
  swapImage,
} from './swap-scratch.ts';
import { decideSwapType, isUpgrade, type SwapTableRow, swapTableFor } from './swap-type.ts';
import { readSwapState, writeCopyDone } from './trailer-io.ts';

export type SlotName = 'primary' | 'secondary';

/**
 * Injected image check (hash/signature); the bootloader model only reads flash. `bytes` is the
 * image from the slot start through its TLV area (the whole slot if the TLV info is unreadable).
 */
export type ImageValidator = (slot: SlotName, bytes: Uint8Array) => Promise<{ ok: boolean; reason?: string }>;

export interface BootGoContext {
  /** The board's flash: one Flash for a board with one flash device, else one per device. */
  flash: Flash | BoardFlashes;
  board: Board;
  validate: ImageValidator;
  /** Override the decision table (defaults to the one matching the board's MCUboot version). */
  swapTable?: readonly SwapTableRow[];
  /** Each console line as MCUboot prints it (a boot cut short by a power cut still printed these). */
  onLog?: (line: string) => void;
}

export interface BootResult {
  booted: boolean;
  /** The upgrade performed or completed during this boot (NONE if none). */
  swapType: SwapType;
  /** True if an interrupted swap was found and completed. */
  resumed: boolean;
  /** Console lines, as MCUboot prints them. */
  log: string[];
  /** Chainload offset of the booted slot from the flash base (the image header is there). */
  imageOffset: number;
  /** flash base + imageOffset. */
  imageAddress: number;
  /** ih_hdr_size of the booted image: its vector table is at imageAddress + headerSize. */
  headerSize?: number;
  version?: { major: number; minor: number; revision: number; build: number };
  /** Why nothing was booted, or why the candidate image was rejected. */
  reason?: string;
  /** Writes + erases done during this boot, and their simulated duration. */
  flashOps: number;
  flashTimeUs: number;
}

/** The board's slot and scratch partitions as flash areas, each on its own flash device. */
export function bootAreas(flash: Flash | BoardFlashes, board: Board): BootAreas {
  return areasOf(bootBoardFromBoard(board, flash));
}

function areasOf(view: BootBoard): BootAreas {
  const { slot0, slot1, scratch } = view.partitions;
  const areas: BootAreas = {
    primary: new FlashArea(slot0.flash, slot0),
    secondary: new FlashArea(slot1.flash, slot1),
  };
  if (scratch) areas.scratch = new FlashArea(scratch.flash, scratch);
  return areas;
}

/**
 * swap_set_image_ok / swap_set_copy_done failing set BOOT_SWAP_TYPE_PANIC; context_boot_go and
 * boot_complete_partial_swap (loader.c) then print "panic!" and loop forever.
 */
function trailerUpdate(update: () => void): void {
  try {
    update();
  } catch (error) {
    if (!(error instanceof FlashError)) throw error;
    throw new BootPanic(`updating the primary slot's trailer failed: ${error.message}`, ['E: panic!']);
  }
}

type SlotVerdict = { kind: 'ok' } | { kind: 'no-bootable'; reason: string };

class Boot {
  readonly log: string[] = [];
  readonly st: LoaderState;
  readonly swapMode: boolean;
  rejection: string | undefined;

  constructor(
    readonly ctx: BootGoContext,
    readonly board: BootBoard,
  ) {
    this.st = makeLoaderState(areasOf(board), board.mcuboot, (line) => this.say(line));
    this.swapMode = board.mcuboot.mode === 'swap-scratch';
  }

  headers(): { primary: BootImageHeader; secondary: BootImageHeader } {
    return { primary: readHeader(this.st.areas.primary), secondary: readHeader(this.st.areas.secondary) };
  }

  /** boot_validate_slot. */
  async validateSlot(slot: SlotName): Promise<SlotVerdict> {
    const area = slot === 'primary' ? this.st.areas.primary : this.st.areas.secondary;
    const hdr = readHeader(area);
    if (hdr.erased || (hdr.flags & ImageFlag.NON_BOOTABLE) !== 0) {
      // A leftover trailer without an image would keep re-triggering; drop it.
      if (slot === 'secondary' && this.swapMode) scrambleTrailerSectors(this.st, area);
      return { kind: 'no-bootable', reason: `no image in the ${slot} slot` };
    }
    let reason: string | undefined;
    if (!headerValid(hdr, area.size)) {
      reason = `bad image header in the ${slot} slot (magic 0x${hdr.magic.toString(16)})`;
    } else {
      // Like bootutil_img_validate, read only the image (header, body, TLVs), not the trailer.
      const length = Math.min(imageSize(area, hdr) ?? area.size, area.size);
      const res = await this.ctx.validate(slot, area.read(0, length));
      if (!res.ok) reason = res.reason ?? `image in the ${slot} slot failed validation`;
    }
    if (reason === undefined) return { kind: 'ok' };
    this.say(`E: Image in the ${slot} slot is not valid!`);
    if (slot === 'secondary') eraseRegion(area, 0, area.size);
    return { kind: 'no-bootable', reason };
  }

  /** boot_validated_swap_type. */
  async validatedSwapType(): Promise<SwapType> {
    const A = this.st.config.maxAlign;
    const table = this.ctx.swapTable ?? swapTableFor(this.board.versions.mcuboot);
    const { swapType } = decideSwapType(
      readSwapState(this.st.areas.primary, A),
      readSwapState(this.st.areas.secondary, A),
      table,
    );
    this.say(`I: Image index: 0, Swap type: ${swapTypeName(swapType)}`);
    if (!isUpgrade(swapType)) return swapType;
    const verdict = await this.validateSlot('secondary');
    if (verdict.kind === 'ok') return swapType;
    this.rejection = verdict.reason;
    return SwapType.NONE;
  }

  /** boot_perform_update / boot_complete_partial_swap tail: confirm and mark copied. */
  finishSwap(swapType: SwapType): void {
    trailerUpdate(() => {
      if (swapType === SwapType.REVERT || swapType === SwapType.PERM) setImageOkIfUnset(this.st);
      if (isUpgrade(swapType)) writeCopyDone(this.st.areas.primary, this.st.config.maxAlign);
    });
  }

  /** The result when MCUboot stops for good (BootPanic): its last lines, then no app. */
  halted(panic: BootPanic): Omit<BootResult, 'flashOps' | 'flashTimeUs'> {
    this.say(...panic.consoleLines);
    const offset = this.board.partitions.slot0.offset;
    return {
      booted: false,
      swapType: SwapType.NONE,
      resumed: false,
      log: this.log,
      imageOffset: offset,
      imageAddress: this.board.flash.base + offset,
      reason: `MCUboot stopped: ${panic.message}`,
    };
  }

  private say(...lines: string[]): void {
    this.log.push(...lines);
    for (const line of lines) this.ctx.onLog?.(line);
  }

  async run(): Promise<Omit<BootResult, 'flashOps' | 'flashTimeUs'>> {
    const { board } = this;
    this.say(...board.bootBanner, 'I: Starting bootloader');
    const headers = this.headers();
    let swapType: SwapType = SwapType.NONE;
    let performed: SwapType = SwapType.NONE;
    let resumed = false;
    const bs: BootStatus = resetStatus();

    const incompatible = slotsCompatible(this.st, this.swapMode);
    if (incompatible) {
      this.say(`W: ${incompatible}`);
    } else {
      if (this.swapMode) readStatus(this.st, bs);
      if (!isStatusReset(bs)) {
        // Rebooted in the middle of a swap: finish it using the swap type recorded with it.
        checkResumableSwapSize(this.st);
        resumed = true;
        swapImage(this.st, bs, headers, true);
        this.finishSwap(bs.swapType);
        performed = bs.swapType;
      } else if (bs.swapType === SwapType.NONE) {
        swapType = await this.validatedSwapType();
      } else {
        // A swap was set up (trailer written) but no step completed: redo it if still valid.
        const verdict = await this.validateSlot('secondary');
        if (verdict.kind === 'ok') swapType = bs.swapType;
        else {
          this.rejection = verdict.reason;
          swapType = SwapType.FAIL;
        }
      }
    }

    if (isUpgrade(swapType)) {
      bs.swapType = swapType;
      if (this.swapMode) {
        swapImage(this.st, bs, headers, false);
        this.finishSwap(swapType);
      } else {
        copyImage(this.st);
      }
      performed = swapType;
    } else if (swapType === SwapType.FAIL && this.swapMode) {
      // The candidate was erased; confirm the primary so no revert is attempted.
      trailerUpdate(() => setImageOkIfUnset(this.st));
    }

    const offset = board.partitions.slot0.offset;
    const base = {
      swapType: performed,
      resumed,
      log: this.log,
      imageOffset: offset,
      imageAddress: board.flash.base + offset,
    };
    const primaryHdr = readHeader(this.st.areas.primary);
    let failure: string | undefined;
    if (board.mcuboot.validatePrimarySlot) {
      const verdict = await this.validateSlot('primary');
      if (verdict.kind !== 'ok') failure = verdict.reason;
    } else if (primaryHdr.magic !== IMAGE_MAGIC) {
      this.say(`E: Bad image magic 0x${primaryHdr.magic.toString(16)}; Image=0`);
      failure = `bad image magic 0x${primaryHdr.magic.toString(16)} in the primary slot`;
    }
    if (failure !== undefined) {
      this.say('E: Unable to find bootable image');
      return { ...base, booted: false, reason: failure };
    }
    this.say(`I: Bootloader chainload address offset: 0x${offset.toString(16)}`);
    this.say('I: Jumping to the first image slot');
    const result = {
      ...base,
      booted: true,
      headerSize: primaryHdr.hdrSize,
      version: primaryHdr.version,
    };
    return this.rejection === undefined ? result : { ...result, reason: this.rejection };
  }
}

/**
 * Run MCUboot once, as after a reset. A PowerCut thrown by the flash propagates unchanged:
 * the caller powers the flash back on and calls bootGo again. Where MCUboot would stop for good
 * (BootPanic), the result is a boot that did not boot: its lines so far, then nothing.
 */
export async function bootGo(ctx: BootGoContext): Promise<BootResult> {
  const view = bootBoardFromBoard(ctx.board, ctx.flash);
  const timeUs = () => view.flashes.reduce((sum, f) => sum + f.stats.timeUs, 0);
  const mutations = () => view.flashes.reduce((sum, f) => sum + f.mutations, 0);
  const timeBefore = timeUs();
  const mutationsBefore = mutations();
  const boot = new Boot(ctx, view);
  let result: Omit<BootResult, 'flashOps' | 'flashTimeUs'>;
  try {
    result = await boot.run();
  } catch (error) {
    // Any other failed flash operation (the flash refuses to program a byte that is not erased)
    // hits an `assert(rc == 0)` in MCUboot (swap_scratch.c, loader.c): the board stops.
    if (error instanceof FlashError)
      result = boot.halted(new BootPanic(`a flash operation failed: ${error.message}`));
    else if (error instanceof BootPanic) result = boot.halted(error);
    else throw error;
  }
  return {
    ...result,
    flashOps: mutations() - mutationsBefore,
    flashTimeUs: timeUs() - timeBefore,
  };
}
