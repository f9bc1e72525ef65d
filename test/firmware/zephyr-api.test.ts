import { describe, expect, it } from 'vitest';
import { formatLogLine, formatLogTimestamp } from '../../firmware/zephyr/logging/format.ts';
import { formatPrintf } from '../../firmware/zephyr/printf.ts';

describe('Zephyr-style console formatting', () => {
  it('stamps log lines as [hh:mm:ss.mmm,uuu]', () => {
    expect(formatLogTimestamp(1_000)).toBe('[00:00:00.001,000]');
    expect(formatLogTimestamp(3_723_004_005)).toBe('[01:02:03.004,005]');
    expect(formatLogLine(1_500, 'inf', 'app', 'hi')).toBe('[00:00:00.001,500] <inf> app: hi\n');
  });

  it('formats the printf conversions apps use', () => {
    expect(formatPrintf('%d|%u|%x|%X|%08x|%s|%c|%%|%3d', [-5, -1, 255, 255, 0xbeef, 'ok', 65, 7])).toBe(
      '-5|4294967295|ff|FF|0000beef|ok|A|%|  7',
    );
    expect(formatPrintf('missing %d', [])).toBe('missing %d');
  });
});
