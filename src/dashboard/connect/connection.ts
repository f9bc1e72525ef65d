/**
 * One connected device as the views see it, whatever carries it: the DeviceClient over the
 * transport, the console text, word of the link going away, and (for the in-tab board) the board
 * itself. Every connector (./virtual.ts, ./web-serial.ts, ./web-bluetooth.ts, ./serve.ts) ends in
 * `openConnection`.
 */
import { DeviceClient } from '../../client/device.ts';
import type { VirtualBoardHandle } from '../../device/web/virtual-board.ts';
import type { LinkError } from '../../transport/link-error.ts';
import type { Transport } from '../../transport/transport.ts';

export type ConnectionKind = 'virtual' | 'web-serial' | 'web-bluetooth' | 'serve';

export interface Connection {
  readonly kind: ConnectionKind;
  /** What the header shows, e.g. "virtual stm32f4_disco" or "Web Serial, 115200 baud". */
  readonly label: string;
  readonly device: DeviceClient;
  readonly transport: Transport;
  /** The in-tab virtual board, for the board panel. */
  readonly board: VirtualBoardHandle | undefined;
  /** Console text as it arrives, each piece ending with a newline. */
  onConsole(listener: (text: string) => void): () => void;
  /** The link closed for good (unplugged, disconnected, the bridge stopped). */
  onGone(listener: (error: LinkError) => void): () => void;
  close(): Promise<void>;
}

/**
 * SMP timeouts in the page: the CLI's defaults, but a little longer than a serial line at 115200
 * baud needs for the largest request, so a slow real board does not time out.
 */
const DEVICE_OPTIONS = { timeoutMs: 5_000, retries: 2 } as const;

export function openConnection(
  kind: ConnectionKind,
  label: string,
  transport: Transport,
  board?: VirtualBoardHandle,
): Connection {
  const device = new DeviceClient(transport, DEVICE_OPTIONS);
  return {
    kind,
    label,
    device,
    transport,
    board,
    // Both give lines without their line end (the serial framing strips it, and flushes a line
    // that went quiet, such as a shell prompt, as a line of its own).
    onConsole: (listener) =>
      board
        ? board.onConsole((line) => listener(`${line}\n`))
        : transport.onText((text) => listener(`${text}\n`)),
    onGone: (listener) =>
      transport.onLinkError((error) => {
        if (error.closed) listener(error);
      }),
    close: async () => {
      await device.close();
      if (board) await board.close();
    },
  };
}
