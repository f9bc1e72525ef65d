/** One line of facts per board for `zdfu sim --list-boards`: flash, strategy, radio. */
import { type Board, deviceSize } from './board.ts';
import { notModelledReason, strategyName } from './boot-board.ts';

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
  /** Why `zdfu sim` cannot run it yet; undefined when it can. */
  readonly notRunnable: string | undefined;
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
    notRunnable: notModelledReason(board),
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
    ...(summary.notRunnable ? [`  zdfu sim cannot run it yet: ${summary.notRunnable}`] : []),
  ];
}
