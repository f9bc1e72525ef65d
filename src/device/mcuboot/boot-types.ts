// What a boot takes and gives: the layout + build configuration in, the console lines and the
// outcome per image out.
import type { SwapType } from '../../image/trailer.ts';
import type { McubootConfig } from '../boards/board.ts';
import type { BootLayout } from './layout.ts';
import type { SwapTableRow } from './swap-type.ts';

export type SlotName = 'primary' | 'secondary';

/**
 * Injected image check (hash/signature); the bootloader model only reads flash. `bytes` is the
 * image from its header through its TLV area (the rest of the slot if the TLV info is unreadable).
 */
export type ImageValidator = (
  slot: SlotName,
  bytes: Uint8Array,
  image: number,
) => Promise<{ ok: boolean; reason?: string }>;

/** RAM-load's executable RAM (IMAGE_EXECUTABLE_RAM_START/SIZE), modelled as a buffer. */
export interface RamBuffer {
  /** Address of bytes[0]. */
  start: number;
  bytes: Uint8Array;
}

export interface LayoutBootContext {
  layout: BootLayout;
  config: McubootConfig;
  validate: ImageValidator;
  /** Lines printed before MCUboot's own log. */
  banner?: readonly string[];
  /** MCUboot release, to pick its swap decision table (default: the current one). */
  mcubootVersion?: string;
  /** Override the decision table. */
  swapTable?: readonly SwapTableRow[];
  /** RAM-load: where images are copied (default: a fresh buffer for config.executableRam). */
  ram?: RamBuffer;
  /** Each console line as MCUboot prints it (a boot cut short by a power cut still printed these). */
  onLog?: (line: string) => void;
}

export interface ImageBootResult {
  image: number;
  /** The slot the image runs from (direct-XIP/RAM-load may pick the secondary). */
  slot: SlotName;
  /** The upgrade performed or completed for this image during this boot (NONE if none). */
  swapType: SwapType;
  resumed: boolean;
  version?: { major: number; minor: number; revision: number; build: number };
  headerSize?: number;
  /** RAM-load: where the image was copied. */
  loadedTo?: { address: number; size: number };
}

export interface BootResult {
  booted: boolean;
  /** Image 0's upgrade performed or completed during this boot (NONE if none). */
  swapType: SwapType;
  /** True if an interrupted swap was found and completed. */
  resumed: boolean;
  /** Console lines, as MCUboot prints them. */
  log: string[];
  /** Chainload offset of image 0's booted slot from its flash base (the image header is there). */
  imageOffset: number;
  /** flash base + imageOffset. */
  imageAddress: number;
  /** ih_hdr_size of the booted image: its vector table is at imageAddress + headerSize. */
  headerSize?: number;
  version?: { major: number; minor: number; revision: number; build: number };
  /** Why nothing was booted, or why a candidate image or upgrade was rejected. */
  reason?: string;
  /** Per image, in image order (empty when MCUboot stopped). */
  images: ImageBootResult[];
  /** RAM-load: the executable RAM after the boot. */
  ram?: RamBuffer;
  /** Writes + erases done during this boot (all flash devices), and their simulated duration. */
  flashOps: number;
  flashTimeUs: number;
}
