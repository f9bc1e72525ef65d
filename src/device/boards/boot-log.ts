/**
 * MCUboot's log as the board's MCUboot port prints it. The model speaks in the Zephyr port's
 * minimal-log form ("I: Starting bootloader", boot/zephyr/main.c); Espressif's port
 * (boot/espressif) prints each line through its own macros as "[esp32] [INF] ..."
 * (hal/include/mcuboot_config/mcuboot_logging.h), and its main.c says other things where the
 * Zephyr port's main.c speaks: no "Starting bootloader"; do_boot() prints "br_image_off = 0x..."
 * where the Zephyr port prints the chainload offset, and esp_loader.c "Loading image 0 - slot 0
 * from flash, area id: 1" before it jumps.
 */
import type { Board } from './board.ts';

const LEVEL: Readonly<Record<string, string>> = { E: 'ERR', W: 'WRN', I: 'INF', D: 'DBG' };

/** The console lines the board's MCUboot prints for one line of the model's log (maybe none). */
export function bootLogLines(board: Board, line: string): string[] {
  const log = board.mcuboot.log;
  if (log.port === 'zephyr') return [line];
  const m = /^([EWID]): (.*)$/.exec(line);
  if (!m) return [line];
  const level = m[1] as string;
  const text = m[2] as string;
  const tag = (words: string) => `[${log.target}] [${LEVEL[level]}] ${words}`;
  if (text === 'Starting bootloader') return [];
  const chainload = /^Bootloader chainload address offset: (0x[0-9a-f]+)$/.exec(text);
  if (chainload) return [tag(`br_image_off = ${chainload[1]}`)];
  if (text === 'Jumping to the first image slot')
    return [tag('Loading image 0 - slot 0 from flash, area id: 1')];
  return [tag(text)];
}
