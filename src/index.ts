/**
 * zdfu's Node entry (the package's `node` condition, bundled into dist/lib/): the pure core
 * (./core.ts) plus the links on Node (serial ports through `serialport`, UDP, BLE through noble)
 * and the virtual device with its host (PTY, UDP socket, BLE peripheral) as `zdfu sim` runs it.
 * Native and slow-loading packages load on first use: `serialport` when a serial port opens, noble
 * and bleno when a BLE link or peripheral starts, node-pty (optional) when a sim makes its PTY.
 * The browser entry is ./browser.ts.
 */
import type { SerialTransport, SerialTransportOptions } from './transport/serial.ts';

export * from './core.ts';
export { type ServeHandle, type ServeOptions, startServe } from './serve/server.ts';
// Links on Node.
export { BleTransport, type BleTransportOptions } from './transport/ble.ts';
export type { BleHci, BleTarget } from './transport/kinds/ble.ts';
export { openNodeTarget } from './transport/kinds/node.ts';
export type { SerialTarget } from './transport/kinds/serial.ts';
export type { UdpTarget } from './transport/kinds/udp.ts';
export type { SerialTransport, SerialTransportOptions } from './transport/serial.ts';
export { UdpTransport, type UdpTransportOptions } from './transport/udp.ts';
// zdfu serve's bridge: the page side works in Node too (pass the ws package's WebSocket).
export {
  listServeTargets,
  openServeTransport,
  type ServeConnectOptions,
  ServeError,
  type ServeOpenOptions,
  type ServeTarget,
  ServeTransport,
} from './transport/web/websocket.ts';

/** Opens a serial port (Zephyr's console UART) as an SMP transport; loads `serialport` on first use. */
export async function openSerialTransport(options: SerialTransportOptions): Promise<SerialTransport> {
  const { SerialTransport } = await import('./transport/serial.ts');
  return SerialTransport.open(options);
}

// The virtual device.
export type { Board } from './device/boards/board.ts';
export { boards, getBoard } from './device/boards/index.ts';
export { BoardFileError, boardFromText, loadBoardFile } from './device/boards/load.ts';
export { type DeviceState, VirtualDevice, type VirtualDeviceOptions } from './device/device.ts';
export { bootloaderKeysFor, factoryImages } from './device/io/board-images.ts';
export { PtyUnavailableError } from './device/io/pty.ts';
export { type SimHandle, type SimOptions, startSim } from './device/io/sim-host.ts';
export { type FaultPlan, type FleetFault, parseFaultPlan } from './fleet/faults.ts';
// Fleets: hawkBit's Management API (publish releases, roll out), the gateway, many virtual boards.
export * from './fleet/gateway/index.ts';
export { MgmtClient } from './fleet/mgmt/client.ts';
export { MgmtError, MgmtResponseError, MgmtWaitError } from './fleet/mgmt/errors.ts';
export { publishRelease, type Release, type ReleaseSpec } from './fleet/mgmt/release.ts';
export { type SimFleet, type SimFleetOptions, startSimFleet } from './fleet/sim-fleet.ts';
export type { FleetDeviceStatus, FleetStatus } from './fleet/status.ts';
