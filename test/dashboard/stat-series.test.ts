import { describe, expect, it } from 'vitest';
import { StatSeries } from '../../src/dashboard/model/stat-series.ts';

describe('StatSeries (live statistics chart data)', () => {
  it('lays the polls out as uPlot columns, fields sorted', () => {
    const s = new StatSeries();
    s.add({ atSeconds: 1, fields: { b: 2, a: 1 } });
    s.add({ atSeconds: 2, fields: { b: 4, a: 3 } });
    expect(s.fieldNames()).toEqual(['a', 'b']);
    expect(s.data()).toEqual([
      [1, 2],
      [1, 3],
      [2, 4],
    ]);
  });

  it('fills a field that appears later with nulls, and a missing one with null', () => {
    const s = new StatSeries();
    s.add({ atSeconds: 1, fields: { a: 1 } });
    s.add({ atSeconds: 2, fields: { b: 5 } });
    expect(s.data()).toEqual([
      [1, 2],
      [1, null],
      [null, 5],
    ]);
  });

  it('keeps only the last `capacity` polls and ignores a poll that is not newer', () => {
    const s = new StatSeries(3);
    for (let t = 1; t <= 10; t++) s.add({ atSeconds: t, fields: { c: t * 10 } });
    s.add({ atSeconds: 10, fields: { c: 0 } });
    expect(s.data()).toEqual([
      [8, 9, 10],
      [80, 90, 100],
    ]);
  });

  it('gives the latest value and its rise per second', () => {
    const s = new StatSeries();
    s.add({ atSeconds: 10, fields: { counter_stat: 100 } });
    expect(s.latest()).toEqual([{ name: 'counter_stat', value: 100, perSecond: undefined }]);
    s.add({ atSeconds: 12, fields: { counter_stat: 110 } });
    expect(s.latest()).toEqual([{ name: 'counter_stat', value: 110, perSecond: 5 }]);
  });
});
