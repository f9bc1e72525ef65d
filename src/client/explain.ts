/**
 * Turns what a device reports (the slot list and MCUboot's mode) into sentences that say what each
 * slot holds and what the next reset will do, including the states that surprise people, such as
 * an overwrite-only bootloader leaving one image after `image test`.
 */
import type { ImageSlotState, ImageStateResponse } from '../groups/image/models.ts';

/** Bootloader-info "mode" values (Zephyr smp_group_0; MCUboot's enum mcuboot_mode in boot_status.h). */
export const BOOTLOADER_MODES: Readonly<Record<number, string>> = {
  [-1]: 'unknown',
  0: 'single application slot',
  1: 'swap using scratch',
  2: 'overwrite only',
  3: 'swap using move',
  4: 'direct XIP',
  5: 'direct XIP with revert',
  6: 'RAM load',
  7: 'firmware loader',
  8: 'single slot RAM load',
  9: 'swap using offset',
};

export const OVERWRITE_ONLY = 2;

export interface Explanation {
  /** The image number these slots belong to (0 on a single-image device). */
  image: number;
  /** Bootloader mode number, when the device answered bootloader-info. */
  mode: number | undefined;
  modeName: string;
  /** One sentence per slot, slot 0 first. */
  slots: string[];
  /** What the next reset does. */
  nextReset: string;
  /** Extra remarks (why a slot is missing, what to run next). */
  notes: string[];
}

function who(image: ImageSlotState): string {
  return `version ${image.version} (hash ${hexPrefix(image.hash)}…)`;
}

function hexPrefix(hash: Uint8Array): string {
  return Array.from(hash.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** One explanation per image the device lists (image 0 at least), in image order. */
export function explainAllImages(state: ImageStateResponse, mode: number | undefined): Explanation[] {
  const numbers = [...new Set([0, ...state.images.map((i) => i.image ?? 0)])].sort((a, b) => a - b);
  return numbers.map((image) => explainImageState(state, mode, image));
}

export function explainImageState(
  state: ImageStateResponse,
  mode: number | undefined,
  image = 0,
): Explanation {
  const modeName = mode === undefined ? 'not reported' : (BOOTLOADER_MODES[mode] ?? `mode ${mode}`);
  const primary = state.images.find((i) => i.slot === 0 && (i.image ?? 0) === image);
  const secondary = state.images.find((i) => i.slot === 1 && (i.image ?? 0) === image);
  const slots: string[] = [];
  const notes: string[] = [];
  let nextReset = 'MCUboot boots slot 0 again; nothing is scheduled.';

  if (!primary) {
    slots.push('Slot 0 holds no valid image the application could read.');
  } else if (primary.active && !primary.confirmed) {
    slots.push(`Slot 0 runs ${who(primary)} on trial: it has not been confirmed.`);
    nextReset = secondary?.confirmed
      ? `MCUboot reverts: ${who(secondary)} goes back into slot 0, unless the running image is confirmed first (\`zdfu image confirm\`).`
      : 'MCUboot reverts to the previous image, unless the running image is confirmed first (`zdfu image confirm`).';
  } else if (primary.active) {
    slots.push(`Slot 0 runs ${who(primary)}; it is confirmed, so MCUboot keeps it.`);
  } else {
    slots.push(`Slot 0 holds ${who(primary)} but the device does not report it as running.`);
  }

  if (!secondary) {
    slots.push('Slot 1 holds no valid image: it is erased, or holds an unfinished or damaged upload.');
    if (mode === OVERWRITE_ONLY) {
      notes.push(
        'This MCUboot runs in overwrite-only mode: on the reset after `image test` (or confirm) it copies ' +
          'slot 1 over slot 0 and erases slot 1, so only one image is left. There is nothing to revert to, ' +
          'and the new image counts as confirmed at once.',
      );
    }
  } else if (secondary.pending && secondary.permanent) {
    slots.push(`Slot 1 holds ${who(secondary)}, scheduled as a permanent update.`);
    nextReset =
      mode === OVERWRITE_ONLY
        ? `MCUboot copies ${who(secondary)} over slot 0 and erases slot 1.`
        : `MCUboot swaps ${who(secondary)} into slot 0 for good (no confirm needed).`;
  } else if (secondary.pending) {
    slots.push(`Slot 1 holds ${who(secondary)}, scheduled for a test boot.`);
    nextReset =
      mode === OVERWRITE_ONLY
        ? `MCUboot copies ${who(secondary)} over slot 0 and erases slot 1: in overwrite-only mode a test is permanent.`
        : `MCUboot swaps ${who(secondary)} into slot 0 for one trial; unless it is confirmed, the reset after that reverts.`;
  } else if (secondary.confirmed) {
    slots.push(`Slot 1 holds the previous image, ${who(secondary)}, kept so MCUboot can revert to it.`);
  } else {
    slots.push(`Slot 1 holds ${who(secondary)}, not scheduled: a reset leaves it where it is.`);
    notes.push(`\`zdfu image test ${hexFull(secondary.hash)}\` schedules it for a test boot.`);
  }
  if (primary?.active && !primary.confirmed) {
    notes.push('`zdfu image confirm` keeps the running image.');
  }
  return { image, mode, modeName, slots, nextReset, notes };
}

function hexFull(hash: Uint8Array): string {
  return Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function formatExplanation(explanation: Explanation): string {
  return formatExplanations([explanation]);
}

/** The bootloader line once, then each image's slots (headed "Image N:" when there are several). */
export function formatExplanations(explanations: readonly Explanation[]): string {
  const first = explanations[0];
  if (first === undefined) return '';
  const lines = [`Bootloader: MCUboot, ${first.modeName}`];
  const several = explanations.length > 1;
  for (const explanation of explanations) {
    const indent = several ? '  ' : '';
    if (several) lines.push(`Image ${explanation.image}:`);
    for (const sentence of explanation.slots) lines.push(`${indent}  ${sentence}`);
    lines.push(`${indent}Next reset: ${explanation.nextReset}`);
    for (const note of explanation.notes) lines.push(`${indent}Note: ${note}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A slot's flags in mcumgr's order (active, confirmed, pending, permanent), as `image list` prints them. */
export function imageFlags(
  slot: Pick<ImageSlotState, 'active' | 'confirmed' | 'pending' | 'permanent'>,
): string {
  const flags: string[] = [];
  if (slot.active) flags.push('active');
  if (slot.confirmed) flags.push('confirmed');
  if (slot.pending) flags.push('pending');
  if (slot.permanent) flags.push('permanent');
  return flags.join(' ');
}
