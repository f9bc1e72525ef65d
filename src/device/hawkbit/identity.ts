/**
 * Who a board is to hawkBit. Zephyr's client names itself `CONFIG_BOARD-<device id>`, the device
 * id being hwinfo_get_device_id()'s bytes in lower-case hex (subsys/mgmt/hawkbit/hawkbit_device.c,
 * at most 16 bytes), and sends that id as the VIN of its config data. A virtual board gets its
 * hwinfo id from whoever makes it: a fleet numbers its boards, so no two share a controller id.
 * Pure: no Node imports.
 */
import { toHex } from '../../image/bytes.ts';

/** DEVICE_ID_BIN_MAX_SIZE (hawkbit_device.h): the client uses at most this many id bytes. */
const DEVICE_ID_BIN_MAX_SIZE = 16;

/** The hwinfo id of a lone virtual board ("zdfu" and serial 1). */
export const DEFAULT_HWINFO_ID: Uint8Array = Uint8Array.of(0x7a, 0x64, 0x66, 0x75, 0, 0, 0, 1);

/** hawkbit_get_device_identity: the hwinfo id in hex. */
export function deviceIdentity(hwinfoId: Uint8Array): string {
  return toHex(hwinfoId.subarray(0, DEVICE_ID_BIN_MAX_SIZE));
}

/** `CONFIG_BOARD-<device id>`, the controller id the client polls as. */
export function controllerIdOf(boardName: string, hwinfoId: Uint8Array): string {
  return `${boardName}-${deviceIdentity(hwinfoId)}`;
}

/**
 * The hwinfo id of board `serial` of a fleet: 8 bytes, "zd", the fleet's 16-bit tag (two fleets
 * on one server keep apart with different tags), then the serial, big-endian.
 */
export function fleetHwinfoId(serial: number, fleetTag = 0): Uint8Array {
  if (!Number.isInteger(serial) || serial < 0 || serial > 0xffffffff) {
    throw new RangeError(`a board serial is a whole number from 0 to 2^32 - 1 (got ${serial})`);
  }
  if (!Number.isInteger(fleetTag) || fleetTag < 0 || fleetTag > 0xffff) {
    throw new RangeError(`a fleet tag is a whole number from 0 to 65535 (got ${fleetTag})`);
  }
  const id = new Uint8Array(8);
  const view = new DataView(id.buffer);
  id[0] = 0x7a;
  id[1] = 0x64;
  view.setUint16(2, fleetTag);
  view.setUint32(4, serial);
  return id;
}
