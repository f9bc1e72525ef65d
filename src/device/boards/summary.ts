/** One line of facts per board for `zdfu sim --list-boards`: flash, strategy, radio. */
import { type Board, deviceSize, type McubootMode } from './board.ts';

/** MCUboot's own name for each strategy (boot/zephyr/Kconfig's BOOT_IMAGE_UPGRADE_MODE prompts). */
const UPSTREAM_NAME: Record<McubootMode, string> = {
  'swap-scratch': 'swap-using-scratch',
  'overwrite-only': 'overwrite-only',
  'swap-move': 'swap-using-move',
  'swap-offset': 'swap-using-offset',
  'direct-xip': 'direct-XIP',
  'direct-xip-revert': 'direct-XIP with revert',
  'ram-load': 'RAM-load',
};

/** MCUboot's own name for a strategy ("swap-using-move"). */
export function strategyName(mode: McubootMode): string {
  return UPSTREAM_NAME[mode];
}

export interface BoardSummary {
  readonly name: string;
  readonly description: string;
  /** Each flash device: id, kind, size in bytes, and which partitions it holds. */
  readonly flash: readonly { id: string; kind: string; size: number; partitions: string[] }[];
  /** MCUboot's strategy in its own words, e.g. "swap-using-scratch". */
  readonly strategy: string;
  readonly images: number;
  readonly signature: string;
  /** "ble" when the board has a radio (`zdfu sim --ble`), else "none". */
  readonly radio: 'ble' | 'none';
}

export function summarizeBoard(board: Board): BoardSummary {
  return {
    name: board.name,
    description: board.description,
    flash: board.flashDevices.map((device) => ({
      id: device.id,
      kind: device.kind,
      size: deviceSize(device),
      partitions: board.partitions.filter((p) => p.device === device.id).map((p) => p.label),
    })),
    strategy: strategyName(board.mcuboot.mode),
    images: board.mcuboot.imageNumber,
    signature: board.mcuboot.signature,
    radio: board.ble ? 'ble' : 'none',
  };
}

function sizeText(bytes: number): string {
  if (bytes % 0x100000 === 0) return `${bytes / 0x100000} MiB`;
  return `${bytes / 1024} KiB`;
}

/** The summary as text lines, for people. */
export function summaryLines(summary: BoardSummary): string[] {
  const flash = summary.flash
    .map(
      (d) =>
        `${d.id} ${sizeText(d.size)} ${d.kind} (${d.partitions.map((p) => p.replace(/_partition$/, '')).join(', ')})`,
    )
    .join('; ');
  const images = summary.images > 1 ? `, ${summary.images} images` : '';
  const radio = summary.radio === 'ble' ? 'BLE' : 'no radio';
  return [
    `${summary.name}: ${summary.description}`,
    `  flash: ${flash}`,
    `  MCUboot: ${summary.strategy}${images}, signature ${summary.signature}; radio: ${radio}`,
  ];
}
