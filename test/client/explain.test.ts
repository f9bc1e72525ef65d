import { describe, expect, it } from 'vitest';
import {
  explainAllImages,
  explainImageState,
  formatExplanation,
  formatExplanations,
  OVERWRITE_ONLY,
} from '../../src/client/explain.ts';
import type { ImageSlotState } from '../../src/groups/image/models.ts';
import { slotState } from '../helpers/slot-state.ts';

const hashOne = new Uint8Array(32).fill(0xa1);
const hashTwo = new Uint8Array(32).fill(0xb2);

function slot(slotNumber: number, version: string, flags: Partial<ImageSlotState>): ImageSlotState {
  return slotState(slotNumber, version, version === '1.0.0' ? hashOne : hashTwo, flags);
}

const SWAP_SCRATCH = 1;

describe('explainImageState', () => {
  it('says nothing is scheduled for a lone confirmed image', () => {
    const e = explainImageState(
      { images: [slot(0, '1.0.0', { active: true, confirmed: true })] },
      SWAP_SCRATCH,
    );
    expect(e.modeName).toBe('swap using scratch');
    expect(e.slots[0]).toContain('runs version 1.0.0');
    expect(e.slots[1]).toContain('no valid image');
    expect(e.nextReset).toContain('nothing is scheduled');
    expect(e.notes).toEqual([]);
  });

  it('names the test boot and how to start it', () => {
    const idle = explainImageState(
      { images: [slot(0, '1.0.0', { active: true, confirmed: true }), slot(1, '2.0.0', {})] },
      SWAP_SCRATCH,
    );
    expect(idle.slots[1]).toContain('not scheduled');
    expect(idle.notes.join(' ')).toContain(`image test ${'b2'.repeat(32)}`);
    const pending = explainImageState(
      { images: [slot(0, '1.0.0', { active: true, confirmed: true }), slot(1, '2.0.0', { pending: true })] },
      SWAP_SCRATCH,
    );
    expect(pending.nextReset).toContain('swaps version 2.0.0');
    expect(pending.nextReset).toContain('reverts');
  });

  it('explains a running test image and the revert', () => {
    const e = explainImageState(
      { images: [slot(0, '2.0.0', { active: true }), slot(1, '1.0.0', { confirmed: true })] },
      SWAP_SCRATCH,
    );
    expect(e.slots[0]).toContain('on trial');
    expect(e.slots[1]).toContain('previous image');
    expect(e.nextReset).toContain('MCUboot reverts: version 1.0.0');
    expect(e.notes).toContain('`zdfu image confirm` keeps the running image.');
  });

  it('explains why overwrite-only leaves one image after a test', () => {
    const before = explainImageState(
      { images: [slot(0, '1.0.0', { active: true, confirmed: true }), slot(1, '2.0.0', { pending: true })] },
      OVERWRITE_ONLY,
    );
    expect(before.nextReset).toContain('a test is permanent');
    const after = explainImageState(
      { images: [slot(0, '2.0.0', { active: true, confirmed: true })] },
      OVERWRITE_ONLY,
    );
    expect(after.notes.join(' ')).toContain('overwrite-only mode');
    expect(after.notes.join(' ')).toContain('nothing to revert to');
  });

  it('reports a permanent update and a device without bootloader info', () => {
    const e = explainImageState(
      {
        images: [
          slot(0, '1.0.0', { active: true, confirmed: true }),
          slot(1, '2.0.0', { pending: true, permanent: true }),
        ],
      },
      undefined,
    );
    expect(e.modeName).toBe('not reported');
    expect(e.nextReset).toContain('for good');
    expect(formatExplanation(e)).toMatch(/^Bootloader: MCUboot, not reported\n {2}Slot 0/);
  });
});

describe('explainAllImages (multi-image devices, as nRF5340 app + network core)', () => {
  it("explains each image's slots under its own heading", () => {
    const state = {
      images: [
        { ...slot(0, '1.0.0', { active: true, confirmed: true }), image: 0 },
        { ...slot(0, '1.0.0', { active: true, confirmed: true }), image: 1 },
        { ...slot(1, '2.0.0', { pending: true }), image: 1 },
      ],
    };
    const all = explainAllImages(state, OVERWRITE_ONLY);
    expect(all.map((e) => e.image)).toEqual([0, 1]);
    expect(all[0]?.nextReset).toContain('nothing is scheduled');
    expect(all[1]?.slots[1]).toContain('Slot 1 holds version 2.0.0');
    expect(all[1]?.nextReset).toContain('copies version 2.0.0');
    const text = formatExplanations(all);
    expect(text.split('\n').filter((line) => line.startsWith('Bootloader:'))).toHaveLength(1);
    expect(text).toContain('Image 0:\n    Slot 0 runs version 1.0.0');
    expect(text).toContain('Image 1:\n    Slot 0 runs version 1.0.0');
    expect(text).toContain('  Next reset: MCUboot copies version 2.0.0');
  });

  it('keeps one image as before, and names swap using offset (mode 9)', () => {
    const all = explainAllImages({ images: [slot(0, '1.0.0', { active: true, confirmed: true })] }, 9);
    expect(all).toHaveLength(1);
    expect(all[0]?.modeName).toBe('swap using offset');
    expect(formatExplanations(all)).toBe(formatExplanation(all[0]!));
    expect(formatExplanations(all)).not.toContain('Image 0:');
  });
});
