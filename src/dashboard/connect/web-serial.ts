/** Connects to a board on a serial port through Web Serial (src/transport/web/web-serial.ts). */
import { requestWebSerialTransport } from '../../transport/web/web-serial.ts';
import { type Connection, openConnection } from './connection.ts';

/** The baud rates offered; Zephyr's console default first. */
export const BAUD_RATES: readonly number[] = [
  115200, 230400, 460800, 921600, 1000000, 57600, 38400, 19200, 9600,
];

/** Asks the browser for a port (its chooser needs the user's click) and opens it. */
export async function connectWebSerial(baudRate: number): Promise<Connection> {
  const transport = await requestWebSerialTransport({ baudRate });
  return openConnection('web-serial', `Web Serial, ${baudRate} baud`, transport);
}
