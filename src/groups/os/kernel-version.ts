/**
 * KERNEL_VERSION_STRING of the board's Zephyr ("3.5.0" for "zephyr-v3.5.0"): what `os info v`
 * and the shell's `kernel version` print (Zephyr's generated version.h). Pure.
 */
import type { Board } from '../../device/boards/board.ts';

export function kernelVersion(board: Board): string {
  return board.versions.zephyr.replace(/^zephyr-/, '').replace(/^v/, '');
}
