/**
 * What the gateway tells hawkBit about a device (DDI configData, shown as the target's attributes):
 * the OS and board from `os info`, MCUboot's mode from bootloader info, each slot's version and
 * state from `image list`, and the link it is reached over. hawkBit keeps attributes as strings,
 * so every value is one short line. Zephyr's own client sends only VIN and hwRevision
 * (zephyr: subsys/mgmt/hawkbit/hawkbit.c, hawkbit_report_config_data); a gateway knows more.
 */
import type { CallOptions, DeviceClient } from '../../client/device.ts';
import type { ImageStateResponse } from '../../groups/image/models.ts';
import { MCUBOOT_MODE_NAMES } from '../../groups/os/client.ts';
import { SmpError } from '../../smp/errors.ts';

export interface DeviceFacts {
  /** "Zephyr 3.5.0" (os info "s" and "v": kernel name and version), when the device answers os info. */
  os?: string;
  /** The board (os info "i", CONFIG_BOARD). */
  board?: string;
  /** MCUboot's mode in words, when the device offers bootloader info. */
  bootloader?: string;
  /** Slot 0 of image 0: the running image. */
  version?: string;
  confirmed?: boolean;
  /** One line per slot: "slot 0: 1.0.0 active confirmed". */
  slots: string[];
}

/** Asks the device; a command it does not serve (an SMP error) leaves that fact out. */
export async function readDeviceFacts(device: DeviceClient, call: CallOptions): Promise<DeviceFacts> {
  const state = await device.imageList(call);
  const facts: DeviceFacts = { slots: describeSlots(state) };
  const running = state.images.find((i) => (i.image ?? 0) === 0 && i.active);
  if (running) {
    facts.version = running.version;
    facts.confirmed = running.confirmed === true;
  }
  const os = await unlessRefused(() => device.osInfo('sv', call));
  if (os !== undefined) facts.os = os.trim();
  const board = await unlessRefused(() => device.osInfo('i', call));
  if (board !== undefined) facts.board = board.trim();
  const mode = await unlessRefused(() => device.bootloaderMode(call));
  if (mode !== undefined) facts.bootloader = `MCUboot, ${MCUBOOT_MODE_NAMES[mode] ?? `mode ${mode}`}`;
  return facts;
}

/** One line per slot, as `image list` shows its flags. */
export function describeSlots(state: ImageStateResponse): string[] {
  return state.images.map((i) => {
    const flags = [
      i.active && 'active',
      i.confirmed && 'confirmed',
      i.pending && 'pending',
      i.permanent && 'permanent',
    ].filter((f): f is string => typeof f === 'string');
    const image = (i.image ?? 0) === 0 ? '' : `image ${i.image} `;
    return `${image}slot ${i.slot}: ${i.version}${flags.length > 0 ? ` ${flags.join(' ')}` : ''}`;
  });
}

async function unlessRefused<T>(ask: () => Promise<T>): Promise<T | undefined> {
  try {
    return await ask();
  } catch (error) {
    if (error instanceof SmpError) return undefined;
    throw error;
  }
}

/** The configData map for hawkBit: every value a string. */
export function configDataOf(facts: DeviceFacts | undefined, link: string): Record<string, string> {
  const data: Record<string, string> = { link, gateway: 'zdfu gateway' };
  if (facts === undefined) return data;
  if (facts.os) data.os = facts.os;
  if (facts.board) data.board = facts.board;
  if (facts.bootloader) data.bootloader = facts.bootloader;
  if (facts.version) data.version = facts.version;
  facts.slots.forEach((line, index) => {
    data[`slot${index}`] = line;
  });
  return data;
}
