/** The ESP32-DevKitC-WROOM, from ./data/esp32_devkitc_wroom.yaml. */
import type { Board } from './board.ts';
import { resolveBoard } from './load.ts';

export const esp32_devkitc_wroom: Board = resolveBoard('esp32_devkitc_wroom');
