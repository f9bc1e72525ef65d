// Layouts for every MCUboot strategy on nRF5340-like flash (4 KiB pages, word writes), images
// signed by the project's imgtool-compatible signer (hash only), and small helpers to drive boots.
import type { McubootConfig, McubootMode } from '../../../src/device/boards/board.ts';
import { Flash, FlashArea, type FlashTiming } from '../../../src/device/flash.ts';
import { type BootResult, bootGo, type ImageValidator } from '../../../src/device/mcuboot/boot.ts';
import type { BootLayout, ImageLayout } from '../../../src/device/mcuboot/layout.ts';
import { setConfirmed, setPending } from '../../../src/device/mcuboot/public.ts';
import { type Dependency, signImage } from '../../../src/image/sign.ts';
import { validateForBoot } from '../../../src/image/verify.ts';

export const SECTOR = 0x1000;

/**
 * nRF5340 product specification, NVMC electrical specification: tERASEPAGE 87.5 ms per 4 KiB
 * page, tWRITE 43 µs per 32-bit word (with HFXO).
 */
export const NRF53_TIMING: FlashTiming = {
  eraseMsBySectorSize: { [SECTOR]: 87.5 },
  programUsPerByte: 43 / 4,
  readUsPerByte: 0.01,
};

export const HEADER_SIZE = 0x200;

export function config(mode: McubootMode, extra: Partial<McubootConfig> = {}): McubootConfig {
  return {
    mode,
    maxAlign: 8,
    maxImgSectors: 256,
    signature: 'none',
    validatePrimarySlot: true,
    headerSize: HEADER_SIZE,
    imageNumber: 1,
    log: { port: 'zephyr' },
    ...extra,
  };
}

/** Slot sizes in sectors as each strategy wants them (swap_move.c / swap_offset.c boot_slots_compatible). */
export function slotSectors(mode: McubootMode, n: number): { primary: number; secondary: number } {
  if (mode === 'swap-move') return { primary: n + 1, secondary: n };
  if (mode === 'swap-offset') return { primary: n, secondary: n + 1 };
  return { primary: n, secondary: n };
}

export interface Rig {
  mode: McubootMode;
  flash: Flash;
  /** Where slot 1 lives (the same Flash unless `external`). */
  external: Flash | undefined;
  layout: BootLayout;
  config: McubootConfig;
  boot: () => Promise<BootResult>;
  image: (i?: number) => ImageLayout;
}

export interface RigOptions {
  /** Usable sectors per slot (before the strategy's extra sector). */
  sectors?: number;
  images?: number;
  /** Put every secondary slot on a separate "SPI NOR" Flash. */
  external?: boolean;
  extra?: Partial<McubootConfig>;
  validate?: ImageValidator;
  /** Override the slot sizes in sectors (e.g. swap-move's "non-optimal" equal slots). */
  slots?: { primary: number; secondary: number };
}

export const hashOnly: ImageValidator = async (_slot, bytes) => {
  const v = await validateForBoot(bytes, { keys: [] });
  return v.ok ? { ok: true } : { ok: false, reason: v.message };
};

/** Build flash devices and a BootLayout for `mode`; images are laid out one after the other. */
export function rig(mode: McubootMode, opts: RigOptions = {}): Rig {
  const n = opts.sectors ?? 12;
  const count = opts.images ?? 1;
  const { primary, secondary } = opts.slots ?? slotSectors(mode, n);
  const scratchSectors = mode === 'swap-scratch' ? 2 : 0;
  const perImage = primary + (opts.external ? 0 : secondary);
  const total = 1 + count * perImage + scratchSectors;
  const mk = (name: string, sectors: number) =>
    new Flash({ name, sectors: new Array(sectors).fill(SECTOR), writeAlign: 4, timing: NRF53_TIMING });
  const flash = mk('nrf53_flash', total);
  const external = opts.external ? mk('spi_nor', count * secondary) : undefined;
  const images: ImageLayout[] = [];
  let off = SECTOR;
  let extOff = 0;
  const scratchArea =
    scratchSectors > 0
      ? new FlashArea(flash, {
          label: 'scratch_partition',
          offset: (total - scratchSectors) * SECTOR,
          size: scratchSectors * SECTOR,
        })
      : undefined;
  for (let i = 0; i < count; i++) {
    const p = new FlashArea(flash, { label: `image${i}_primary`, offset: off, size: primary * SECTOR });
    off += primary * SECTOR;
    let s: FlashArea;
    if (external) {
      s = new FlashArea(external, { label: `image${i}_secondary`, offset: extOff, size: secondary * SECTOR });
      extOff += secondary * SECTOR;
    } else {
      s = new FlashArea(flash, { label: `image${i}_secondary`, offset: off, size: secondary * SECTOR });
      off += secondary * SECTOR;
    }
    const img: ImageLayout = { primary: p, secondary: s };
    if (scratchArea) img.scratch = scratchArea;
    images.push(img);
  }
  const mappedAt = new Map<Flash, number>([[flash, 0]]);
  const layout: BootLayout = { images, mappedAt };
  const cfg = config(mode, opts.extra);
  const validate = opts.validate ?? hashOnly;
  const boot = () => bootGo({ layout, config: cfg, validate, mcubootVersion: 'v2.2.0' });
  return { mode, flash, external, layout, config: cfg, boot, image: (i = 0) => images[i]! };
}

/** A deterministic body of `size` bytes. */
export function body(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export interface ImageSpec {
  version: string;
  size?: number;
  seed?: number;
  dependencies?: Dependency[];
  loadAddr?: number;
}

export async function makeSigned(r: Rig, spec: ImageSpec, slotSize?: number): Promise<Uint8Array> {
  const opts: Parameters<typeof signImage>[1] = {
    headerSize: HEADER_SIZE,
    padHeader: true,
    slotSize: slotSize ?? r.image().primary.size,
    version: spec.version,
    align: 4,
  };
  if (spec.dependencies) opts.dependencies = spec.dependencies;
  if (spec.loadAddr !== undefined) opts.loadAddr = spec.loadAddr;
  return signImage(body(spec.size ?? 20_000, spec.seed ?? 1), opts);
}

/** What a programmer does: raw bytes at an area offset, no flash operations counted. */
export function program(area: FlashArea, bytes: Uint8Array, at = 0): void {
  area.flash.load(bytes, area.offset + at);
}

/** Where an upload goes in the secondary slot: one sector in for swap-using-offset. */
export function uploadOffset(r: Rig): number {
  return r.mode === 'swap-offset' ? SECTOR : 0;
}

/** Upload like img_mgmt: erase the sectors the image needs, then write it. */
export function upload(r: Rig, bytes: Uint8Array, image = 0): void {
  const area = r.image(image).secondary;
  const at = uploadOffset(r);
  const len = Math.ceil(bytes.length / area.align) * area.align;
  for (const s of area.sectors) {
    if (s.offset + s.size <= at) continue;
    if (s.offset >= at + len) break;
    area.erase(s.offset, s.size);
  }
  const padded = new Uint8Array(len).fill(area.eraseValue);
  padded.set(bytes);
  area.write(at, padded);
}

export function startsWith(area: FlashArea, bytes: Uint8Array, at = 0): boolean {
  const got = area.peek(at, bytes.length);
  return got.every((b, i) => b === bytes[i]);
}

export function pending(r: Rig, permanent: boolean, image = 0): void {
  setPending(r.image(image).secondary, permanent);
}

export function confirm(r: Rig, image = 0): void {
  setConfirmed(r.image(image).primary);
}

export function ver(result: BootResult, image = 0): string | undefined {
  const v = result.images[image]?.version;
  return v ? `${v.major}.${v.minor}.${v.revision}` : undefined;
}
