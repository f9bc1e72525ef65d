/** The user's STM32F4DISCOVERY, from ./data/stm32f4_disco.yaml. */
import type { Board } from './board.ts';
import { resolveBoard } from './load.ts';

export const stm32f4_disco: Board = resolveBoard('stm32f4_disco');
