/** Connects to a board's SMP GATT service through Web Bluetooth (src/transport/web/web-bluetooth.ts). */
import { requestWebBluetoothTransport } from '../../transport/web/web-bluetooth.ts';
import { type Connection, openConnection } from './connection.ts';

/** Asks the browser for a device (its chooser needs the user's click) and connects to it. */
export async function connectWebBluetooth(namePrefix?: string): Promise<Connection> {
  const transport = await requestWebBluetoothTransport(namePrefix ? { namePrefix } : {});
  return openConnection('web-bluetooth', 'Web Bluetooth', transport);
}
