/**
 * A virtual board built for SMP over Bluetooth LE, its radio side left to the test: the device's
 * own BLE endpoint (src/device/transport/ble.ts, Zephyr's smp_bt.c with reassembly) in this
 * process, fed by ./web-bluetooth-bridge.ts instead of a host stack. Built as src/device/io/
 * sim-host.ts builds a `zdfu sim --ble` board (BT overlay buffers, factory Binary One, the board's
 * development key), without the HCI controller: Chromium's BluetoothEmulation is the radio here.
 */
import { createBoardFlashes, getBoard } from '../../../src/device/boards/index.ts';
import { VirtualDevice } from '../../../src/device/device.ts';
import { bootloaderKeysFor, factoryImages } from '../../../src/device/io/board-images.ts';
import { builtFor } from '../../../src/device/server/build-config.ts';
import { BleEndpoint } from '../../../src/device/transport/ble.ts';

export interface BleBoard {
  readonly device: VirtualDevice;
  readonly endpoint: BleEndpoint;
  /** ATT MTU the board's SMP service offers; notifications carry at most this − 3 bytes. */
  readonly maxAttMtu: number;
  /** How long after the app starts it advertises (connectable) again. */
  readonly advertiseAfterBootMs: number;
  close(): Promise<void>;
}

export async function startBleBoard(name: string): Promise<BleBoard> {
  const board = getBoard(name);
  if (!board.ble) throw new Error(`the board ${name} has no Bluetooth radio`);
  const device = new VirtualDevice({
    board: builtFor(board, { udp: false, ble: true }),
    flash: createBoardFlashes(board),
    bootloaderKeys: await bootloaderKeysFor(board),
    baud: 0,
    flashTimeScale: 0,
  });
  const factory = await factoryImages(board);
  for (let number = 0; number < factory.length; number++) device.programSlot(0, factory[number]!, number);
  const endpoint = new BleEndpoint({
    netbufSize: device.smpBuild.netbufSize,
    buffers: device.smpBuffers,
    handle: (packet, buffer) => device.handleRequest(packet, buffer),
  });
  // A reset drops every central, as the board's Bluetooth stack restarts.
  device.onStateChange((state) => {
    if (state !== 'running') endpoint.forgetAll();
  });
  const boot = await device.powerOn();
  if (!boot.booted) throw new Error(`${name} did not boot: ${boot.reason ?? 'no bootable image'}`);
  return {
    device,
    endpoint,
    maxAttMtu: board.ble.maxAttMtu,
    advertiseAfterBootMs: board.ble.advertiseAfterBootMs,
    close: () => device.powerOff(),
  };
}
