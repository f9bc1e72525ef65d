/**
 * The messages between the page (./virtual-board.ts) and the board's worker (./board-worker.ts).
 * Structured-clone data only; UART bytes travel as transferred Uint8Arrays. Pure type module.
 */
import type { VirtualBoardAssets, VirtualBoardBoot, VirtualBoardStorage } from './virtual-board.ts';

/** What the board is made of, sent once. */
export interface BoardStartMessage {
  readonly type: 'start';
  readonly board: string;
  readonly storage: VirtualBoardStorage;
  readonly assets: VirtualBoardAssets;
  readonly baud: number;
  readonly flashTimeScale: number;
}

/** Bytes the host sends on the board's RX line; answered by 'uart-ack' with the same id. */
export interface UartInMessage {
  readonly type: 'uart';
  readonly id: number;
  readonly bytes: Uint8Array;
}

export type BoardCall = 'power-cut' | 'power-on' | 'erase-flash' | 'close';

/** One of the handle's actions; answered by 'reply' with the same id. */
export interface CallMessage {
  readonly type: 'call';
  readonly id: number;
  readonly call: BoardCall;
}

export type PageToWorker = BoardStartMessage | UartInMessage | CallMessage;

/** The worker's device state (the page adds 'closed'). */
export type WorkerBoardState = 'off' | 'booting' | 'running' | 'halted';

export type WorkerToPage =
  /** The board is made and powered on; `restored`: the flash came from storage. */
  | { readonly type: 'started'; readonly restored: boolean; readonly boot: VirtualBoardBoot }
  /** The board could not be made (bad assets, storage refused). */
  | { readonly type: 'start-error'; readonly message: string }
  /** Bytes the board put on its TX line. */
  | { readonly type: 'uart'; readonly bytes: Uint8Array }
  /** The board's RX line took the bytes of request `id` (the host may send more). */
  | { readonly type: 'uart-ack'; readonly id: number }
  | { readonly type: 'console'; readonly line: string }
  | { readonly type: 'led'; readonly name: string; readonly on: boolean; readonly uptimeMs: number }
  | { readonly type: 'state'; readonly state: WorkerBoardState }
  | { readonly type: 'boot'; readonly boot: VirtualBoardBoot }
  | {
      readonly type: 'reply';
      readonly id: number;
      readonly boot?: VirtualBoardBoot;
      readonly error?: string;
    };
