/** The Fleet view's table logic: counts, filter, sort and the words for each device's state. */
import { describe, expect, it } from 'vitest';
import {
  type FleetDevice,
  feedbackWords,
  filterDevices,
  phaseCounts,
  progressText,
  shownText,
  sortDevices,
  versionText,
} from '../../src/dashboard/model/fleet-table.ts';

const devices: FleetDevice[] = [
  {
    controllerId: 'b-10',
    link: 'sim #10',
    board: 'nrf52840dk',
    version: '1.10.0',
    phase: 'done',
    updatedAt: 3,
  },
  {
    controllerId: 'b-9',
    link: 'sim #9',
    board: 'stm32f4_disco',
    version: '1.9.0',
    confirmed: false,
    phase: 'uploading',
    progress: { sent: 1024, total: 4096 },
    lastFeedback: {
      execution: 'proceeding',
      finished: 'none',
      progress: { cnt: 2, of: 5 },
      details: ['uploading 25 %'],
    },
    updatedAt: 1,
  },
  {
    controllerId: 'a-1',
    link: 'udp 127.0.0.1:1337',
    phase: 'failed',
    error: 'reverted after reset',
    lastFeedback: { execution: 'closed', finished: 'failure' },
    updatedAt: 2,
  },
  { controllerId: 'a-2', link: 'sim #2', phase: 'uploading', progress: { sent: 0, total: 0 }, updatedAt: 4 },
];

describe('fleet table', () => {
  it('counts every phase, zero included', () => {
    const counts = phaseCounts(devices);
    expect(counts).toMatchObject({ done: 1, uploading: 2, failed: 1, polling: 0, gone: 0 });
  });

  it('filters by every word over all fields, and by phase', () => {
    expect(
      filterDevices(devices, { text: 'STM32 uploading', phase: undefined }).map((d) => d.controllerId),
    ).toEqual(['b-9']);
    expect(filterDevices(devices, { text: 'reverted', phase: undefined }).map((d) => d.controllerId)).toEqual(
      ['a-1'],
    );
    expect(filterDevices(devices, { text: '', phase: 'uploading' }).map((d) => d.controllerId)).toEqual([
      'b-9',
      'a-2',
    ]);
    expect(filterDevices(devices, { text: 'nothing-like-this', phase: undefined })).toEqual([]);
  });

  it('sorts ids and versions numerically, phases in rollout order, progress by share; ties keep order', () => {
    const ids = (key: Parameters<typeof sortDevices>[1], dir: 'ascending' | 'descending' = 'ascending') =>
      sortDevices(devices, key, dir).map((d) => d.controllerId);
    expect(ids('controllerId')).toEqual(['a-1', 'a-2', 'b-9', 'b-10']);
    expect(ids('version')).toEqual(['a-1', 'a-2', 'b-9', 'b-10']);
    expect(ids('phase')).toEqual(['b-9', 'a-2', 'b-10', 'a-1']);
    expect(ids('progress', 'descending')).toEqual(['b-10', 'b-9', 'a-1', 'a-2']);
    expect(ids('updatedAt', 'descending')).toEqual(['a-2', 'b-10', 'a-1', 'b-9']);
  });

  it('says each state in words', () => {
    expect(feedbackWords(devices[1]!)).toBe('In progress (2 of 5) — uploading 25 %');
    expect(feedbackWords(devices[2]!)).toBe('Closed: failure');
    expect(feedbackWords(devices[0]!)).toBeUndefined();
    expect(progressText(devices[1]!)).toBe('25 %');
    expect(progressText(devices[0]!)).toBe('100 %');
    expect(progressText(devices[3]!)).toBe('');
    expect(versionText(devices[1]!)).toBe('1.9.0 (unconfirmed)');
    expect(versionText(devices[2]!)).toBe('');
    expect(shownText(1000, 1000, 1000)).toBe('1,000 devices');
    expect(shownText(12, 1000, 1000)).toBe('12 of 1,000 devices');
    expect(shownText(1, 1, 1)).toBe('1 device');
    expect(shownText(10_000, 10_000, 12_000)).toBe(
      '10,000 devices (the gateway has 12,000; the first 10,000 are shown)',
    );
  });
});
