/**
 * What a board file must get right across fields, checked before any flash is made: every
 * partition on a known device, inside it and on its sector boundaries, no two overlapping; the
 * partitions MCUboot needs for its image count and strategy, with slot sizes the strategy can
 * swap (MCUboot's boot_slots_compatible in boot/bootutil/src/swap_scratch.c and swap_move.c).
 */
import { type Board, deviceSize, type FlashDevice, imageSlotLabels, type Partition } from './board.ts';
import type { BoardProblem } from './schema.ts';

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function span(p: Partition): string {
  return `${hex(p.offset)}..${hex(p.offset + p.size)}`;
}

/** Sector start offsets of a device, plus its end. */
function boundaries(device: FlashDevice): Set<number> {
  const out = new Set<number>([0]);
  let offset = 0;
  for (const run of device.sectors) {
    for (let i = 0; i < run.count; i++) {
      offset += run.size;
      out.add(offset);
    }
  }
  return out;
}

/** Sector sizes inside [offset, offset + size) of a device. */
function sectorsIn(device: FlashDevice, offset: number, size: number): number[] {
  const out: number[] = [];
  let at = 0;
  for (const run of device.sectors) {
    for (let i = 0; i < run.count; i++) {
      if (at >= offset && at < offset + size) out.push(run.size);
      at += run.size;
    }
  }
  return out;
}

export function boardProblems(board: Board): BoardProblem[] {
  const problems: BoardProblem[] = [];
  const add = (path: (string | number)[], message: string) => problems.push({ path, message });

  const devices = new Map<string, FlashDevice>();
  board.flashDevices.forEach((device, i) => {
    if (devices.has(device.id)) add(['flashDevices', i, 'id'], `"${device.id}" names two flash devices`);
    devices.set(device.id, device);
    if (device.sectors.some((run) => run.size % device.writeBlockSize !== 0)) {
      add(
        ['flashDevices', i, 'sectors'],
        `sector sizes must be multiples of writeBlockSize ${device.writeBlockSize}`,
      );
    }
  });
  const deviceList = [...devices.keys()].join(', ');

  const byLabel = new Map<string, Partition>();
  const placed: { partition: Partition; index: number }[] = [];
  board.partitions.forEach((p, i) => {
    if (byLabel.has(p.label)) add(['partitions', i, 'label'], `"${p.label}" is used by two partitions`);
    byLabel.set(p.label, p);
    const device = devices.get(p.device);
    if (!device) {
      add(
        ['partitions', i, 'device'],
        `flash device "${p.device}" is not one of this board's flash devices (${deviceList})`,
      );
      return;
    }
    const size = deviceSize(device);
    if (p.offset + p.size > size) {
      add(
        ['partitions', i],
        `${span(p)} does not fit in ${device.id}, which is ${hex(size)} bytes (it ends ${hex(p.offset + p.size - size)} bytes past the end)`,
      );
      return;
    }
    const edges = boundaries(device);
    if (!edges.has(p.offset) || !edges.has(p.offset + p.size)) {
      add(
        ['partitions', i],
        `${span(p)} does not start and end on sector boundaries of ${device.id}, so it cannot be erased on its own`,
      );
    }
    for (const other of placed) {
      const q = other.partition;
      if (q.device === p.device && p.offset < q.offset + q.size && q.offset < p.offset + p.size) {
        add(['partitions', i], `${span(p)} overlaps ${q.label} (${span(q)}) on ${device.id}`);
      }
    }
    placed.push({ partition: p, index: i });
  });

  const need = (label: string, why: string): Partition | undefined => {
    const p = byLabel.get(label);
    if (!p) add(['partitions'], `there is no ${label}, which ${why}`);
    return p && devices.has(p.device) ? p : undefined;
  };
  need('boot_partition', 'holds MCUboot');
  const scratch =
    board.mcuboot.mode === 'swap-scratch'
      ? need('scratch_partition', 'swap-using-scratch swaps through')
      : undefined;
  for (let image = 0; image < board.mcuboot.imageNumber; image++) {
    const labels = imageSlotLabels(image);
    const primary = need(labels.primary, `is image ${image}'s primary slot`);
    const secondary = need(labels.secondary, `is image ${image}'s secondary slot`);
    if (primary && secondary) slotProblems(board, devices, primary, secondary, scratch, add);
  }
  return problems;
}

function slotProblems(
  board: Board,
  devices: Map<string, FlashDevice>,
  primary: Partition,
  secondary: Partition,
  scratch: Partition | undefined,
  add: (path: (string | number)[], message: string) => void,
): void {
  const mode = board.mcuboot.mode;
  const pri = sectorsIn(devices.get(primary.device) as FlashDevice, primary.offset, primary.size);
  const sec = sectorsIn(devices.get(secondary.device) as FlashDevice, secondary.offset, secondary.size);
  const path = ['mcuboot', 'mode'];
  const sizes = `${primary.label} is ${hex(primary.size)} bytes, ${secondary.label} ${hex(secondary.size)}`;
  const most = Math.max(pri.length, sec.length);
  if (mode !== 'overwrite-only' && most > board.mcuboot.maxImgSectors) {
    add(['mcuboot', 'maxImgSectors'], `is ${board.mcuboot.maxImgSectors}, but a slot has ${most} sectors`);
  }
  if (mode === 'swap-scratch') {
    if (primary.size !== secondary.size) add(path, `swap-using-scratch swaps equal slots, but ${sizes}`);
    const largest = Math.max(...pri, ...sec);
    if (scratch && scratch.size < largest) {
      add(
        path,
        `swap-using-scratch needs scratch_partition to hold the largest slot sector (${hex(largest)} bytes), but it is ${hex(scratch.size)}`,
      );
    }
  } else if (mode === 'swap-move' || mode === 'swap-offset') {
    // swap_move.c: the primary has as many sectors as the secondary, or one more; all the same size.
    // swap_offset.c mirrors it: the secondary is the one allowed the extra sector.
    const [big, small] = mode === 'swap-move' ? [pri, sec] : [sec, pri];
    if (big.length !== small.length && big.length !== small.length + 1) {
      add(
        path,
        `${mode} needs the ${mode === 'swap-move' ? 'primary' : 'secondary'} slot to have as many sectors as the other or one more, but ${primary.label} has ${pri.length} and ${secondary.label} ${sec.length}`,
      );
    }
    if (new Set([...pri, ...sec]).size > 1) {
      add(
        path,
        `${mode} needs one sector size in both slots, but they have ${[...new Set([...pri, ...sec])].map(hex).join(', ')}`,
      );
    }
  } else if (mode === 'overwrite-only') {
    if (secondary.size > primary.size)
      add(path, `overwrite-only copies the secondary into the primary, but ${sizes}`);
  }
}
