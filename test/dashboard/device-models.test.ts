import { describe, expect, it } from 'vitest';
import { describeDfuStep } from '../../src/dashboard/model/dfu-steps.ts';
import { fromEnumeration, isShown, UNKNOWN_GROUPS, withRefused } from '../../src/dashboard/model/groups.ts';
import { absoluteSlot, slotActions } from '../../src/dashboard/model/slot-actions.ts';
import { SmpGroup } from '../../src/smp/group-ids.ts';

const slot = (fields: Partial<Parameters<typeof slotActions>[0]>) => ({
  slot: 0,
  version: '1.0.0',
  hash: new Uint8Array([1, 2, 3]),
  bootable: true,
  pending: false,
  confirmed: false,
  active: false,
  permanent: false,
  ...fields,
});

describe('slot actions (Slots view)', () => {
  it('offers nothing to erase or test on the running confirmed image', () => {
    expect(slotActions(slot({ active: true, confirmed: true }))).toEqual([]);
  });

  it('offers confirm for a running image on trial', () => {
    expect(slotActions(slot({ active: true }))).toEqual(['confirm']);
  });

  it('offers test, confirm and erase for an image waiting in slot 1', () => {
    expect(slotActions(slot({ slot: 1 }))).toEqual(['test', 'confirm', 'erase']);
  });

  it('offers no second test of a pending image, and only erase of a permanent pending one', () => {
    expect(slotActions(slot({ slot: 1, pending: true }))).toEqual(['confirm', 'erase']);
    expect(slotActions(slot({ slot: 1, pending: true, permanent: true }))).toEqual(['erase']);
  });

  it('numbers slots absolutely for erase', () => {
    expect(absoluteSlot(slot({ slot: 1 }))).toBe(1);
    expect(absoluteSlot(slot({ image: 1, slot: 1 }))).toBe(3);
  });
});

describe('served groups', () => {
  it('shows every group while the device has not said, and hides a refused one', () => {
    expect(isShown(UNKNOWN_GROUPS, SmpGroup.Fs)).toBe(true);
    expect(isShown(withRefused(UNKNOWN_GROUPS, SmpGroup.Fs), SmpGroup.Fs)).toBe(false);
  });

  it('follows the enumeration list', () => {
    const served = fromEnumeration([0, 1, 2, 9]);
    expect(isShown(served, SmpGroup.Shell)).toBe(true);
    expect(isShown(served, SmpGroup.Fs)).toBe(false);
  });
});

describe('dfu steps in words', () => {
  it('says what each step did, with figures', () => {
    const uploaded = describeDfuStep({
      kind: 'uploaded',
      result: {
        total: 6596,
        elapsedMs: 2000,
        sentBytes: 6596,
        resumedFrom: 0,
        requestLimit: 512,
        chunkSize: 400,
        window: 4,
        requests: 17,
        timeouts: 0,
        version: '2.0.0',
        imageHash: new Uint8Array(32),
        sha256: new Uint8Array(32),
        match: true,
      },
    });
    expect(uploaded.text).toBe('Uploaded 6.4 KiB in 2.0 s (3.2 KiB/s; 17 requests, window 4).');
    expect(describeDfuStep({ kind: 'confirmed' }).tone).toBe('good');
    expect(describeDfuStep({ kind: 'unhealthy', reason: 'it reset twice' })).toEqual({
      text: 'The new image is not healthy: it reset twice.',
      tone: 'bad',
    });
  });
});
