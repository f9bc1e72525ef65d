import { describe, expect, it } from 'vitest';
import {
  formatImageList,
  formatJson,
  formatParams,
  formatProfiles,
  formatStatList,
  formatStatShow,
  fromHex,
  imageFlags,
  toHex,
} from '../../src/cli/format.ts';
import { slotState } from '../helpers/slot-state.ts';

const hashA = Uint8Array.from({ length: 32 }, (_, i) => i);
const hashB = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

function slot(
  n: number,
  hash: Uint8Array,
  flags: Partial<Record<'active' | 'confirmed' | 'pending' | 'permanent', boolean>>,
) {
  return slotState(n, n === 0 ? '1.0.0' : '2.0.0', hash, flags);
}

describe('image list output (mcumgr layout)', () => {
  it('prints each slot with version, bootable, flags and hash, then the split status', () => {
    const text = formatImageList({
      images: [slot(0, hashA, { active: true, confirmed: true }), slot(1, hashB, { pending: true })],
      splitStatus: 0,
    });
    expect(text).toBe(
      [
        'Images:',
        ' image=0 slot=0',
        '    version: 1.0.0',
        '    bootable: true',
        '    flags: active confirmed',
        `    hash: ${toHex(hashA)}`,
        ' image=0 slot=1',
        '    version: 2.0.0',
        '    bootable: true',
        '    flags: pending',
        `    hash: ${toHex(hashB)}`,
        'Split status: N/A (0)',
        '',
      ].join('\n'),
    );
  });

  it('orders flags like mcumgr and leaves them empty when none is set', () => {
    expect(
      imageFlags(slot(1, hashA, { permanent: true, pending: true, confirmed: true, active: true })),
    ).toBe('active confirmed pending permanent');
    expect(formatImageList({ images: [slot(1, hashA, {})] })).toContain('    flags: \n');
  });

  it('shows the image number on multi-image devices and a missing split status as N/A', () => {
    const text = formatImageList({ images: [{ ...slot(1, new Uint8Array(0), {}), image: 1 }] });
    expect(text).toContain(' image=1 slot=1\n');
    expect(text).toContain('    hash: Unavailable\n');
    expect(text.endsWith('Split status: N/A (0)\n')).toBe(true);
  });
});

describe('stat output', () => {
  it('lists groups sorted, or says none', () => {
    expect(formatStatList(['b_stats', 'a_stats'])).toBe('stat groups:\n    a_stats\n    b_stats\n');
    expect(formatStatList([])).toBe('stat groups: none\n');
  });

  it('prints a group with right-aligned values, fields sorted by name', () => {
    expect(formatStatShow({ name: 'smp_svr_stats', fields: { ticks: 42, counter_stat: 7 } })).toBe(
      'stat group: smp_svr_stats\n         7 counter_stat\n        42 ticks\n',
    );
    expect(formatStatShow({ name: 'empty', fields: {} })).toBe('stat group: empty\n    (empty)\n');
  });
});

describe('other renderings', () => {
  it('prints params and profiles', () => {
    expect(formatParams({ buf_size: 384, buf_count: 4 })).toBe('buf_size: 384\nbuf_count: 4\n');
    expect(formatProfiles([])).toBe('No connection profiles found!\n');
    expect(formatProfiles([{ name: 'b', type: 'udp', connstring: '127.0.0.1:1337' }])).toBe(
      "Connection profiles:\n  b: type=udp, connstring='127.0.0.1:1337'\n",
    );
  });

  it('writes JSON with byte strings as hex and without undefined fields', () => {
    const doc = JSON.parse(formatJson({ images: [{ hash: Uint8Array.of(0xab, 0x01), image: undefined }] }));
    expect(doc).toEqual({ images: [{ hash: 'ab01' }] });
  });

  it('round-trips hex and rejects odd or non-hex text', () => {
    expect(toHex(fromHex('00FFa5'))).toBe('00ffa5');
    expect(() => fromHex('abc')).toThrow('The hash "abc" has an odd number of hex digits (3).');
    expect(() => fromHex('zz')).toThrow('The hash "zz" is not hexadecimal ("z" is not a hex digit).');
  });
});
