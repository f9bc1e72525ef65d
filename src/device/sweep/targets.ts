// The MCUboot strategies the sweep builds every board for. Each board here has a scratch partition,
// so each can be built either way (as MCUboot's own sim/ runs each test in every configuration).
import type { McubootMode } from '../boards/board.ts';

export const SWEEP_STRATEGIES: readonly McubootMode[] = ['swap-scratch', 'overwrite-only'];
