// context_boot_go for MCUBOOT_DIRECT_XIP (with or without MCUBOOT_DIRECT_XIP_REVERT) and
// MCUBOOT_RAM_LOAD (loader.c: boot_get_slot_usage, find_slot_with_highest_version,
// boot_select_or_erase, boot_load_and_validate_images, the XIP/RAM boot_verify_dependencies,
// print_loaded_images; ram_load.c: boot_load_image_to_sram, boot_remove_image_from_sram,
// boot_remove_image_from_flash). Nothing is moved: each image runs from the slot with the highest
// valid version (RAM-load first copies it into RAM). With revert, a slot that was selected once
// (copy_done set) but never confirmed (image_ok unset) is erased on the next boot.
import { ImageFlag } from '../../image/format.ts';
import { BootFlag, BootMagic, SwapType } from '../../image/trailer.ts';
import type { ImageBootResult, LayoutBootContext, RamBuffer } from './boot-types.ts';
import { compareVersion, DependencyReadError, readDependencies, versionText } from './dependencies.ts';
import { headerValid, imageExtent } from './image-header.ts';
import type { BootLayout } from './layout.ts';
import type { LoaderOutcome } from './loader.ts';
import { type LoaderState, makeLoaderState } from './loader-state.ts';
import type { SlotIndex } from './swap-strategy.ts';
import { readSwapState, writeCopyDone } from './trailer-io.ts';
import {
  readImageHeaders,
  scrambleSlot,
  slotArea,
  slotName,
  type ValidateEnv,
  validateSlot,
} from './validate-slot.ts';

interface SlotUsage {
  available: [boolean, boolean];
  active: SlotIndex | undefined;
  /** RAM-load: img_dst / img_sz. */
  loaded?: { address: number; size: number };
}

function versionLine(slot: SlotIndex, v: { major: number; minor: number; revision: number; build: number }) {
  // BOOT_LOG_IMAGE_INFO: "%-9s slot: version=%u.%u.%u+%u".
  return `I: ${(slot === 0 ? 'Primary' : 'Secondary').padEnd(9)} slot: version=${v.major}.${v.minor}.${v.revision}+${v.build}`;
}

export class XipLoader {
  readonly states: LoaderState[];
  private readonly usage: SlotUsage[];
  private readonly env: ValidateEnv;
  private readonly revert: boolean;
  private readonly ramLoad: boolean;
  private reason: string | undefined;

  constructor(
    ctx: LayoutBootContext,
    private readonly layout: BootLayout,
    private readonly ram: RamBuffer | undefined,
    log: (line: string) => void,
  ) {
    this.states = layout.images.map((areas, i) => makeLoaderState(i, areas, ctx.config, log));
    this.usage = this.states.map(() => ({ available: [false, false], active: undefined }));
    this.env = { validate: ctx.validate, strategy: undefined, slotsEquivalent: true };
    this.revert = ctx.config.mode === 'direct-xip-revert';
    this.ramLoad = ctx.config.mode === 'ram-load';
  }

  private reject(reason: string): void {
    if (this.reason === undefined) this.reason = reason;
  }

  /** boot_get_slot_usage: which slots hold an image with a valid header. */
  private slotUsage(): void {
    for (const st of this.states) {
      readImageHeaders(st, undefined, false, undefined);
      for (const slot of [0, 1] as const) {
        const hdr = st.headers[slot]!;
        const ok = headerValid(hdr, slotArea(st, slot).size);
        this.usage[st.image]!.available[slot] = ok;
        st.log(
          ok
            ? versionLine(slot, hdr.version)
            : `I: Image ${st.image} ${slotName(slot)} slot: image not found`,
        );
      }
    }
  }

  /** find_slot_with_highest_version: ties keep the lower slot. */
  private highestVersion(st: LoaderState): SlotIndex | undefined {
    const u = this.usage[st.image]!;
    let candidate: SlotIndex | undefined;
    for (const slot of [0, 1] as const) {
      if (!u.available[slot]) continue;
      if (
        candidate === undefined ||
        compareVersion(st.headers[slot]!.version, st.headers[candidate]!.version) === 1
      ) {
        candidate = slot;
      }
    }
    return candidate;
  }

  /** boot_rom_address_check: an IMAGE_F_ROM_FIXED image runs only from the slot it was built for. */
  private romAddressMismatch(st: LoaderState, slot: SlotIndex): boolean {
    const hdr = st.headers[slot]!;
    const off = slotArea(st, slot).offset;
    if ((hdr.flags & ImageFlag.ROM_FIXED) === 0 || hdr.loadAddr === off) return false;
    st.log(
      `W: Image in ${slotName(slot)} slot at 0x${off.toString(16)} has been built for offset 0x${hdr.loadAddr.toString(16)}, skipping`,
    );
    return true;
  }

  /**
   * boot_select_or_erase: a slot chosen before (copy_done set) but never confirmed, or without a
   * good trailer, is erased; otherwise copy_done marks it as chosen.
   */
  private selectOrErase(st: LoaderState, slot: SlotIndex): boolean {
    const area = slotArea(st, slot);
    const s = readSwapState(area, st.config.maxAlign);
    if (s.magic !== BootMagic.GOOD || (s.copyDone === BootFlag.SET && s.imageOk !== BootFlag.SET)) {
      scrambleSlot(area);
      this.reject(`image ${st.image}'s ${slotName(slot)} slot was erased: it was tried and not confirmed`);
      return false;
    }
    if (s.copyDone !== BootFlag.SET) {
      try {
        writeCopyDone(area, st.config.maxAlign);
      } catch {
        st.log(`W: Failed to set copy_done flag of the image in the ${slotName(slot)} slot.`);
      }
    }
    return true;
  }

  private overlapsOtherImage(st: LoaderState, address: number, size: number): boolean {
    return this.usage.some(
      (u, i) =>
        i !== st.image &&
        u.loaded &&
        address < u.loaded.address + u.loaded.size &&
        u.loaded.address < address + size,
    );
  }

  /** boot_load_image_to_sram. */
  private loadToRam(st: LoaderState, slot: SlotIndex): boolean {
    const hdr = st.headers[slot]!;
    if ((hdr.flags & ImageFlag.RAM_LOAD) === 0 || !this.ram) return false;
    const area = slotArea(st, slot);
    const ext = imageExtent(area, hdr);
    if (!ext) return false;
    const dst = hdr.loadAddr;
    const ram = this.ram;
    if (dst < ram.start || dst + ext.size > ram.start + ram.bytes.length) {
      st.log(`I: Image ${st.image} RAM load address 0x${dst.toString(16)} is invalid.`);
      return false;
    }
    if (this.overlapsOtherImage(st, dst, ext.size)) {
      // The C string is continued with a backslash, so the next line's indentation is printed too.
      const gap = ' '.repeat(25);
      st.log(
        `I: Image ${st.image} RAM loading to address 0x${dst.toString(16)} would overlap with${gap}another image.`,
      );
      return false;
    }
    ram.bytes.set(area.read(0, ext.size), dst - ram.start);
    st.log(`I: Image ${st.image} RAM loading to 0x${dst.toString(16)} is succeeded.`);
    this.usage[st.image]!.loaded = { address: dst, size: ext.size };
    return true;
  }

  /** boot_remove_image_from_sram. */
  private removeFromRam(st: LoaderState): void {
    const u = this.usage[st.image]!;
    const at = u.loaded?.address ?? 0;
    st.log(`I: Removing image ${st.image} from SRAM at address 0x${at.toString(16)}`);
    if (u.loaded && this.ram) {
      const from = u.loaded.address - this.ram.start;
      this.ram.bytes.fill(0, from, from + u.loaded.size);
    }
    delete u.loaded;
  }

  private dropSlot(st: LoaderState, slot: SlotIndex): void {
    const u = this.usage[st.image]!;
    u.available[slot] = false;
    u.active = undefined;
  }

  /** boot_load_and_validate_images. */
  private async loadAndValidate(): Promise<boolean> {
    for (const st of this.states) {
      const u = this.usage[st.image]!;
      while (u.active === undefined) {
        const slot = this.highestVersion(st);
        if (slot === undefined) {
          st.log(`I: No slot to load for image ${st.image}`);
          this.reject(`no valid image to run for image ${st.image}`);
          return false;
        }
        u.active = slot;
        if (!this.ramLoad && this.romAddressMismatch(st, slot)) {
          this.dropSlot(st, slot);
          continue;
        }
        if (this.revert && !this.selectOrErase(st, slot)) {
          this.dropSlot(st, slot);
          continue;
        }
        if (this.ramLoad && !this.loadToRam(st, slot)) {
          st.log(`I: Removing image ${st.image} slot ${slot} from flash`);
          scrambleSlot(slotArea(st, slot));
          this.dropSlot(st, slot);
          continue;
        }
        const verdict = await validateSlot(st, slot, undefined, SwapType.NONE, this.env);
        if (verdict.kind !== 'ok') {
          this.reject(verdict.reason);
          if (this.ramLoad) this.removeFromRam(st);
          this.dropSlot(st, slot);
        }
      }
    }
    return true;
  }

  /** boot_verify_dependencies (XIP/RAM): the first image whose active slot fails loses that slot. */
  private dependenciesMet(): boolean {
    for (const st of this.states) {
      const slot = this.usage[st.image]!.active!;
      const problem = this.dependencyProblem(st, slot);
      if (problem === undefined) continue;
      this.reject(problem);
      if (this.ramLoad) this.removeFromRam(st);
      this.dropSlot(st, slot);
      return false;
    }
    return true;
  }

  private dependencyProblem(st: LoaderState, slot: SlotIndex): string | undefined {
    let deps: ReturnType<typeof readDependencies>;
    try {
      deps = readDependencies(slotArea(st, slot), st.headers[slot]!);
    } catch (error) {
      if (!(error instanceof DependencyReadError)) throw error;
      return `image ${st.image}'s dependency TLVs cannot be read (${error.message})`;
    }
    for (const dep of deps) {
      const target = this.states[dep.imageId];
      const depSlot = this.usage[dep.imageId]?.active;
      if (!target || depSlot === undefined) {
        return `image ${st.image} depends on image ${dep.imageId}, which this bootloader does not run`;
      }
      const have = target.headers[depSlot]!.version;
      if (compareVersion(have, dep.minVersion) < 0) {
        return `image ${st.image} in the ${slotName(slot)} slot needs image ${dep.imageId} ≥ ${versionText(dep.minVersion)}, which is ${versionText(have)}`;
      }
    }
    return undefined;
  }

  async run(): Promise<LoaderOutcome> {
    this.slotUsage();
    for (;;) {
      if (!(await this.loadAndValidate()))
        return { ok: false, images: [], reason: this.reason ?? 'no image' };
      if (this.layout.images.length === 1 || this.dependenciesMet()) break;
    }
    const images: ImageBootResult[] = [];
    for (const st of this.states) {
      const u = this.usage[st.image]!;
      const slot = u.active!;
      st.log(`I: Image ${st.image} loaded from the ${slotName(slot)} slot`);
      const hdr = st.headers[slot]!;
      const r: ImageBootResult = {
        image: st.image,
        slot: slotName(slot),
        swapType: SwapType.NONE,
        resumed: false,
        version: hdr.version,
        headerSize: hdr.hdrSize,
      };
      if (u.loaded) r.loadedTo = { ...u.loaded };
      images.push(r);
    }
    const out: LoaderOutcome = { ok: true, images };
    if (this.reason !== undefined) out.reason = this.reason;
    return out;
  }
}
