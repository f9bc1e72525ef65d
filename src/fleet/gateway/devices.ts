/**
 * Where the gateway's devices come from: connection profiles (each profile one controller, named
 * after the profile), BLE devices seen in a scan that advertise SMP, and in-process virtual boards
 * (each with the controller id its fleet gave it).
 */
import type { TransportOpener } from '../../client/device.ts';
import type { ConnTarget } from '../../transport/kinds/kind.ts';
import { describeTarget } from '../../transport/kinds/registry.ts';
import type { Transport } from '../../transport/transport.ts';
import type { GatewayDevice } from './types.ts';

/** hawkBit's controller ids: letters, digits and - _ . : (no spaces or slashes, which break DDI paths). */
const CONTROLLER_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

export function isControllerId(value: string): boolean {
  return CONTROLLER_ID.test(value);
}

/** A device reached through a connection target (a profile's, or one found by a scan). */
export function targetDevice(controllerId: string, target: ConnTarget, open: TransportOpener): GatewayDevice {
  const { where } = describeTarget(target);
  return { controllerId, describe: where, open: () => open(target) };
}

/** The controller id for a BLE device found by a scan: its name when it has a usable one, else its address. */
export function bleControllerId(device: { name: string | undefined; address: string }): string {
  const name = device.name?.trim().replace(/\s+/g, '-');
  if (name !== undefined && name !== '' && isControllerId(`ble-${name}`)) return `ble-${name}`;
  return `ble-${device.address.toLowerCase().replace(/:/g, '')}`;
}

/** A virtual board of an in-process fleet. */
export function simDevice(board: {
  index: number;
  controllerId: string;
  openTransport(): Promise<Transport>;
}): GatewayDevice {
  return {
    controllerId: board.controllerId,
    describe: `sim #${board.index}`,
    open: () => board.openTransport(),
  };
}
