/**
 * The parts of a board's devicetree the firmware runner needs: the aliases a Zephyr app reaches
 * GPIOs through (`led0`, ...), taken from the board file's devicetree (the upstream .dts) with the
 * app's own overlay on top, as a Zephyr build merges boards/<board>.overlay over the board's dts.
 * Flag values are Zephyr's dt-bindings (GPIO_ACTIVE_LOW = 1).
 */
import type { DtGpio } from '../../../firmware/zephyr/host.ts';
import type { Board } from '../boards/board.ts';

export type { DtGpio };

export interface FirmwareDevicetree {
  readonly aliases: Readonly<Record<string, DtGpio>>;
}

/** The board's aliases with the app's overlay applied, reduced to what the firmware sees. */
export function devicetreeOf(board: Board): FirmwareDevicetree {
  const merged = { ...board.devicetree.aliases, ...(board.devicetree.appOverlay?.aliases ?? {}) };
  const aliases: Record<string, DtGpio> = {};
  for (const [name, gpio] of Object.entries(merged)) {
    aliases[name] = { port: gpio.port, pin: gpio.pin, flags: gpio.flags };
  }
  return { aliases };
}
