/**
 * The HCI binding options noble (central) and bleno (peripheral) take for one controller: an H4
 * UART (a dongle with Zephyr's hci_uart, or a virtual controller's PTY; the line rate is ignored
 * on a PTY) or a kernel HCI device. Node-side only, with the BLE host stacks.
 */
import type { BleHci } from './kinds/ble.ts';

/** H4 at 1 Mbaud, the rate Zephyr's hci_uart sample uses. */
const H4_BAUD = 1_000_000;

export type HciBindingOptions =
  | {
      hciDriver: 'uart';
      bindParams: { usb: undefined; uart: { port: string; baudRate: number } };
    }
  | { deviceId: number };

export function hciBindingOptions(hci: BleHci): HciBindingOptions {
  return hci.kind === 'uart'
    ? { hciDriver: 'uart', bindParams: { usb: undefined, uart: { port: hci.path, baudRate: H4_BAUD } } }
    : { deviceId: hci.deviceId };
}
