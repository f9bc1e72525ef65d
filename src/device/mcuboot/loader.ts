// context_boot_go for the upgrade-in-place builds (loader.c without MCUBOOT_DIRECT_XIP /
// MCUBOOT_RAM_LOAD): swap using scratch, move or offset (a SwapStrategy) and overwrite-only.
// For every image (BOOT_IMAGE_NUMBER = layout.images.length) finish an interrupted swap or decide
// the swap type (boot_prepare_image_for_update); with several images check the dependency TLVs
// (boot_verify_dependencies); then perform the upgrades (downgrade prevention first) and validate
// every primary slot before jumping to image 0.
import { SwapType } from '../../image/trailer.ts';
import type { ImageBootResult, LayoutBootContext } from './boot-types.ts';
import { compareVersion, DependencyReadError, readDependencies, versionText } from './dependencies.ts';
import { BootPanic } from './errors.ts';
import { IMAGE_MAGIC, imageExtent } from './image-header.ts';
import {
  type BootStatus,
  isStatusReset,
  type LoaderState,
  makeLoaderState,
  resetStatus,
} from './loader-state.ts';
import { copyImage, overwriteSlotsCompatible } from './overwrite.ts';
import { findStatusArea, readStatus, setCopyDone, setImageOkIfUnset, swapTypeMulti } from './swap-common.ts';
import type { SwapStrategy } from './swap-strategy.ts';
import { isUpgrade, swapTableFor } from './swap-type.ts';
import { readSwapSize } from './trailer-io.ts';
import {
  imageBase,
  readImageHeaders,
  scrambleSlot,
  slotArea,
  type ValidateEnv,
  validateSlot,
} from './validate-slot.ts';

export interface LoaderOutcome {
  ok: boolean;
  images: ImageBootResult[];
  /** Why the boot failed, or the first rejected candidate / cancelled upgrade. */
  reason?: string;
}

export class UpgradeLoader {
  readonly states: LoaderState[];
  private readonly env: ValidateEnv;
  private readonly performed: SwapType[];
  private readonly resumed: boolean[];
  private reason: string | undefined;

  constructor(
    ctx: LayoutBootContext,
    private readonly strategy: SwapStrategy | undefined,
    log: (line: string) => void,
  ) {
    const version = ctx.mcubootVersion ?? 'v2.2.0';
    const table = ctx.swapTable ?? (strategy ? strategy.swapTable(version) : swapTableFor(version));
    this.states = ctx.layout.images.map((areas, i) => {
      const st = makeLoaderState(i, areas, ctx.config, log);
      st.swapTable = table;
      return st;
    });
    this.env = { validate: ctx.validate, strategy, slotsEquivalent: false };
    this.performed = this.states.map(() => SwapType.NONE);
    this.resumed = this.states.map(() => false);
  }

  private get multi(): boolean {
    return this.states.length > 1;
  }

  private initialOp() {
    return this.strategy?.initialOp ?? 'move';
  }

  private reject(reason: string | undefined): void {
    if (reason !== undefined && this.reason === undefined) this.reason = reason;
  }

  /** boot_swap_image: swap_size from the two images (fresh) or from the status trailer (resumed). */
  private swapImage(st: LoaderState, s: SwapStrategy, bs: BootStatus): void {
    if (isStatusReset(bs, s.initialOp)) {
      let size = 0;
      for (const slot of [0, 1] as const) {
        const hdr = st.headers[slot];
        if (hdr?.magic !== IMAGE_MAGIC) continue;
        const ext = imageExtent(slotArea(st, slot), hdr, imageBase(st, slot));
        // boot_read_image_size failing hits `assert(rc == 0)` in boot_swap_image (loader.c).
        if (!ext) throw new BootPanic(`cannot read the image size in ${slotArea(st, slot).label}`);
        st.unprotectedTlvSize[slot] = ext.unprotectedTlvSize;
        size = Math.max(size, ext.size);
      }
      bs.swapSize = size;
    } else {
      bs.swapSize = readSwapSize(findStatusArea(st, s), st.config.maxAlign, s.swapOffset);
    }
    s.swapRun(st, bs, bs.swapSize);
    if (st.statusFails > 0) st.log(`W: ${st.statusFails} status write fails performing the swap`);
  }

  /** boot_complete_partial_swap. */
  private completePartialSwap(st: LoaderState, s: SwapStrategy, bs: BootStatus): void {
    this.swapImage(st, s, bs);
    st.swapType = bs.swapType;
    if (bs.swapType === SwapType.REVERT || bs.swapType === SwapType.PERM) setImageOkIfUnset(st);
    if (isUpgrade(bs.swapType)) setCopyDone(st);
  }

  /** boot_review_image_swap_types: an earlier image's REVERT was really a finished upgrade. */
  private reviewSwapTypes(st: LoaderState, aborted: boolean): void {
    if (st.image === 0) return;
    if (!aborted && (st.swapType === SwapType.NONE || st.swapType === SwapType.REVERT)) return;
    for (const other of this.states.slice(0, st.image)) {
      if (other.swapType === SwapType.REVERT) other.swapType = SwapType.NONE;
    }
  }

  /** boot_validated_swap_type. */
  private async validatedSwapType(st: LoaderState, bs: BootStatus): Promise<SwapType> {
    const swapType = swapTypeMulti(st);
    if (!isUpgrade(swapType)) return swapType;
    const verdict = await validateSlot(st, 1, bs, swapType, this.env);
    if (verdict.kind === 'ok') return swapType;
    this.reject(verdict.reason);
    return SwapType.NONE;
  }

  /** boot_prepare_image_for_update. */
  private async prepare(st: LoaderState, bs: BootStatus): Promise<void> {
    const s = this.strategy;
    if (!readImageHeaders(st, s, false, undefined)) {
      st.log(`W: Failed reading image headers; Image=${st.image}`);
      st.swapType = SwapType.NONE;
      return;
    }
    const compatible = s ? s.slotsCompatible(st) : overwriteSlotsCompatible(st);
    if (!compatible) {
      st.swapType = SwapType.NONE;
      return;
    }
    Object.assign(bs, resetStatus(this.initialOp()));
    if (s) {
      readStatus(st, s, bs);
      if (!readImageHeaders(st, s, !isStatusReset(bs, s.initialOp), bs)) {
        st.log(`W: Failed reading image headers; Image=${st.image}`);
        st.swapType = SwapType.NONE;
        return;
      }
    }
    if (s && !isStatusReset(bs, s.initialOp)) {
      // Rebooted in the middle of a swap: finish it using the swap type recorded with it.
      if (this.multi) this.reviewSwapTypes(st, true);
      this.completePartialSwap(st, s, bs);
      this.resumed[st.image] = true;
      this.performed[st.image] = bs.swapType;
      readImageHeaders(st, s, false, undefined);
      st.swapType = SwapType.NONE;
      return;
    }
    if (bs.swapType === SwapType.NONE) {
      st.swapType = await this.validatedSwapType(st, bs);
    } else {
      // A swap was set up (trailer written) but no step completed: redo it if still valid.
      const verdict = await validateSlot(st, 1, bs, SwapType.NONE, this.env);
      if (verdict.kind === 'ok') st.swapType = bs.swapType;
      else {
        this.reject(verdict.reason);
        st.swapType = SwapType.FAIL;
      }
    }
    if (this.multi) this.reviewSwapTypes(st, false);
  }

  /**
   * boot_verify_dependencies (swap builds): each image's dependency TLVs, read from the slot it
   * will run from, against the version each other image will have. One unsatisfied (or
   * unreadable) dependency cancels every upgrade.
   */
  private verifyDependencies(): void {
    for (const st of this.states) {
      const slot = st.swapType !== SwapType.NONE && st.swapType !== SwapType.FAIL ? 1 : 0;
      const problem = this.slotDependencyProblem(st, slot);
      if (problem === undefined) continue;
      this.reject(`${problem}: no image is upgraded`);
      for (const other of this.states) other.swapType = SwapType.NONE;
      return;
    }
  }

  /** boot_verify_slot_dependencies + boot_verify_slot_dependency; undefined = satisfied. */
  private slotDependencyProblem(st: LoaderState, slot: 0 | 1): string | undefined {
    const hdr = st.headers[slot];
    if (!hdr) return `image ${st.image} has no header in its ${slot === 0 ? 'primary' : 'secondary'} slot`;
    let deps: ReturnType<typeof readDependencies>;
    try {
      deps = readDependencies(slotArea(st, slot), hdr, imageBase(st, slot));
    } catch (error) {
      if (!(error instanceof DependencyReadError)) throw error;
      return `image ${st.image}'s dependency TLVs cannot be read (${error.message})`;
    }
    for (const dep of deps) {
      const target = this.states[dep.imageId];
      if (!target) {
        return `image ${st.image} depends on image ${dep.imageId}, but this bootloader has ${this.states.length} images`;
      }
      const depSlot = isUpgrade(target.swapType) ? 1 : 0;
      const have = target.headers[depSlot]?.version ?? { major: 0, minor: 0, revision: 0, build: 0 };
      if (compareVersion(have, dep.minVersion) < 0) {
        // The C code first lowers this image's swap type (TEST/PERM → NONE, NONE → REVERT); the
        // caller then cancels every upgrade anyway.
        return `image ${st.image} needs image ${dep.imageId} ≥ ${versionText(dep.minVersion)}, which would be ${versionText(have)}`;
      }
    }
    return undefined;
  }

  /** check_downgrade_prevention (swap builds, by version): a lower secondary is erased. */
  private downgradePrevented(st: LoaderState): boolean {
    if (!this.strategy || !st.config.downgradePrevention) return false;
    const [pri, sec] = st.headers;
    if (!pri || !sec || compareVersion(sec.version, pri.version) >= 0) return false;
    st.log(`I: Image ${st.image} in slot 1 erased due to downgrade prevention`);
    scrambleSlot(st.areas.secondary);
    this.reject(
      `downgrade refused: image ${st.image} version ${versionText(sec.version)} is lower than the running ${versionText(pri.version)}`,
    );
    return true;
  }

  /**
   * boot_perform_update. Returns what was done: swap_run may give up ("Not enough free space"),
   * leaving bs.swap_type NONE, though the flags are then written for BOOT_SWAP_TYPE all the same.
   */
  private performUpdate(st: LoaderState, bs: BootStatus): SwapType {
    const s = this.strategy;
    if (!s) {
      copyImage(st);
      return st.swapType;
    }
    this.swapImage(st, s, bs);
    if (st.swapType === SwapType.REVERT || st.swapType === SwapType.PERM) setImageOkIfUnset(st);
    if (isUpgrade(st.swapType)) setCopyDone(st);
    return bs.swapType;
  }

  async run(): Promise<LoaderOutcome> {
    const statuses = this.states.map(() => resetStatus(this.initialOp()));
    let hasUpgrade = false;
    for (const st of this.states) {
      await this.prepare(st, statuses[st.image]!);
      if (isUpgrade(st.swapType)) hasUpgrade = true;
    }
    if (this.multi && hasUpgrade) this.verifyDependencies();

    for (const st of this.states) {
      const bs = this.multi ? resetStatus(this.initialOp()) : statuses[st.image]!;
      bs.swapType = st.swapType;
      switch (st.swapType) {
        case SwapType.TEST:
        case SwapType.PERM:
        case SwapType.REVERT:
          if (st.swapType !== SwapType.REVERT && this.downgradePrevented(st)) {
            st.swapType = SwapType.NONE;
            break;
          }
          this.performed[st.image] = this.performUpdate(st, bs);
          break;
        case SwapType.FAIL:
          // The candidate was erased; confirm the primary so no revert is attempted.
          if (this.strategy) setImageOkIfUnset(st);
          break;
        default:
          break;
      }
    }

    const images: ImageBootResult[] = this.states.map((st) => ({
      image: st.image,
      slot: 'primary',
      swapType: this.performed[st.image]!,
      resumed: this.resumed[st.image]!,
    }));
    for (const st of this.states) {
      if (st.swapType !== SwapType.NONE && !readImageHeaders(st, this.strategy, false, undefined)) {
        return {
          ok: false,
          images,
          reason: `image ${st.image}: cannot read the image headers after the upgrade`,
        };
      }
      const primary = st.headers[0]!;
      if (st.config.validatePrimarySlot) {
        const verdict = await validateSlot(st, 0, undefined, SwapType.NONE, this.env);
        if (verdict.kind !== 'ok') return { ok: false, images, reason: verdict.reason };
      } else if (primary.magic !== IMAGE_MAGIC) {
        st.log(`E: Bad image magic 0x${primary.magic.toString(16)}; Image=${st.image}`);
        return {
          ok: false,
          images,
          reason: `bad image magic 0x${primary.magic.toString(16)} in the primary slot of image ${st.image}`,
        };
      }
      const result = images[st.image]!;
      result.version = primary.version;
      result.headerSize = primary.hdrSize;
    }
    const out: LoaderOutcome = { ok: true, images };
    if (this.reason !== undefined) out.reason = this.reason;
    return out;
  }
}
