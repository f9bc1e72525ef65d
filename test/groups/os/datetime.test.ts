/**
 * os datetime (group 0, command 4): the text os_mgmt.c reads and writes, the board's RTC, and the
 * handlers' answers with SMP v1 and v2 headers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getBoard } from '../../../src/device/boards/index.ts';
import { smpServerBuild } from '../../../src/device/server/build-config.ts';
import { dateTimeRead, dateTimeWrite } from '../../../src/groups/os/client.ts';
import { DateTimeFormatError, formatDateTime, parseDateTime } from '../../../src/groups/os/datetime.ts';
import { dateTimeGet, dateTimeSet } from '../../../src/groups/os/models.ts';
import { VirtualRtc } from '../../../src/groups/os/rtc.ts';
import { registerOsGroup } from '../../../src/groups/os/server.ts';
import { defineCommand } from '../../../src/smp/command.ts';
import { SmpError } from '../../../src/smp/errors.ts';
import { int } from '../../../src/smp/schema.ts';
import { rejection, type ServerLink, serverLink } from '../server-link.ts';

describe('date-time text (os_mgmt_datetime_write / _read)', () => {
  it('reads six numbers with one delimiter after each, whatever the delimiters are', () => {
    const at = { year: 2026, month: 12, day: 2, hour: 14, minute: 5, second: 9, millisecond: 0 };
    expect(parseDateTime('2026-12-02T14:05:09', false)).toEqual(at);
    expect(parseDateTime('2026/12/02 14.05.09', false)).toEqual(at);
    // strtol: leading blanks and a + sign are part of a number.
    expect(parseDateTime('2026-12-+2T14:05:09', false)).toEqual(at);
    expect(parseDateTime('2026-12-02T14:05:9   ', false)).toEqual(at);
  });

  it('ignores what follows the seconds: a time zone, Z, or milliseconds without the MS option', () => {
    const at = { year: 2026, month: 12, day: 2, hour: 14, minute: 5, second: 9, millisecond: 0 };
    expect(parseDateTime('2026-12-02T14:05:09Z', false)).toEqual(at);
    expect(parseDateTime('2026-12-02T14:05:09+02:00', false)).toEqual(at);
    expect(parseDateTime('2026-12-02T14:05:09.250', false)).toEqual(at);
    expect(parseDateTime('2026-12-02T14:05:09.250', true)).toEqual({ ...at, millisecond: 250 });
    expect(parseDateTime('2026-12-02T14:05:09Z250', true)).toEqual(at);
  });

  it('refuses 18 or 26 characters, a missing number and every field out of range, naming it', () => {
    const bad: Array<[string, RegExp]> = [
      ['2026-12-02T14:05:0', /18 characters/],
      ['2026-12-02T14:05:09.123456', /26 characters/],
      ['2026-12-02T14:05:xx', /no number for its second/],
      ['garbage-garbage-garbage', /no number for its year/],
      ['1899-12-02T14:05:09', /year 1899 is out of range 1900-11899/],
      ['11900-12-02T14:05:09', /year 11900/],
      ['2026-13-02T14:05:09', /month 13 is out of range 1-12/],
      ['2026-00-02T14:05:09', /month 0/],
      ['2026-12-32T14:05:09', /day 32 is out of range 1-31/],
      ['2026-12-02T24:05:09', /hour 24/],
      ['2026-12-02T14:60:09', /minute 60/],
      ['2026-12-02T14:05:60', /second 60/],
      ['2026-12-02T14:0000000', /ends before its second/],
    ];
    for (const [text, message] of bad) {
      expect(() => parseDateTime(text, false), text).toThrow(DateTimeFormatError);
      expect(() => parseDateTime(text, false), text).toThrow(message);
    }
    expect(() => parseDateTime('2026-12-02T14:05:09.1000', true)).toThrow(/millisecond 1000/);
  });

  it('writes "%4d-%02d-%02dT%02d:%02d:%02d", ".%d" milliseconds with the MS option', () => {
    const at = { year: 2026, month: 3, day: 4, hour: 5, minute: 6, second: 7, millisecond: 5 };
    expect(formatDateTime(at, false)).toBe('2026-03-04T05:06:07');
    expect(formatDateTime(at, true)).toBe('2026-03-04T05:06:07.5');
  });
});

describe('the board RTC', () => {
  it('has no time until set, then counts on with the clock, and forgets it without power', () => {
    let now = 1000;
    const rtc = new VirtualRtc(() => now);
    expect(rtc.get()).toEqual({ ok: false, errno: 'ENODATA' });
    expect(rtc.set(parseDateTime('2024-02-29T23:59:58', false))).toBe(true);
    now += 2500;
    const later = rtc.get();
    expect(later.ok && formatDateTime(later.time, true)).toBe('2024-03-01T00:00:00.500');
    rtc.powerLost();
    expect(rtc.isSet).toBe(false);
  });

  it('refuses a day the month does not have, leap years by the Gregorian rule', () => {
    const rtc = new VirtualRtc(() => 0);
    expect(rtc.set(parseDateTime('2026-02-29T00:00:00', false))).toBe(false);
    expect(rtc.set(parseDateTime('1900-02-29T00:00:00', false))).toBe(false);
    expect(rtc.set(parseDateTime('2026-04-31T00:00:00', false))).toBe(false);
    expect(rtc.isSet).toBe(false);
    expect(rtc.set(parseDateTime('2000-02-29T00:00:00', false))).toBe(true);
  });
});

describe('os datetime handlers', () => {
  let link: ServerLink | undefined;
  let now = 0;
  afterEach(async () => {
    await link?.close();
    link = undefined;
  });

  function serve(): ServerLink {
    const board = getBoard('stm32f4_disco');
    link = serverLink();
    const rtc = new VirtualRtc(() => now);
    registerOsGroup(link.server, { board, build: smpServerBuild(board), requestReset: () => undefined, rtc });
    return link;
  }

  async function smpError(call: Promise<unknown>): Promise<SmpError> {
    const error = await rejection(call);
    expect(error).toBeInstanceOf(SmpError);
    return error as SmpError;
  }

  it('answers RTC_NOT_SET before a set (v2 group 0 rc 4, v1 ENOENT), then the time it keeps', async () => {
    const served = serve();
    const v2 = await smpError(dateTimeRead(served.client(2).smp));
    expect({ group: v2.group, rc: v2.rc, code: v2.codeName }).toEqual({
      group: 0,
      rc: 4,
      code: 'RTC_NOT_SET',
    });
    const v1 = await smpError(dateTimeRead(served.client(1).smp));
    expect({ kind: v1.detail.kind, rc: v1.rc }).toEqual({ kind: 'rc', rc: 5 });

    await dateTimeWrite(served.client(2).smp, '2026-12-02T14:05:00+01:00');
    now += 61_000;
    expect(await dateTimeRead(served.client(2).smp)).toBe('2026-12-02T14:06:01');
    expect(await served.client(1).smp.request(dateTimeSet, { datetime: '2030-01-01T00:00:00' })).toEqual({});
    expect(await dateTimeRead(served.client(1).smp)).toBe('2030-01-01T00:00:00');
  });

  it('refuses bad text with EINVAL and an impossible day with RTC_COMMAND_FAILED (v1 EUNKNOWN)', async () => {
    const served = serve();
    for (const version of [1, 2] as const) {
      const smp = served.client(version).smp;
      for (const text of [
        '2026-12-02',
        '2026-13-02T14:05:00',
        'not a date at all!!',
        '2026-12-02T14:05:00.000000+01',
      ]) {
        const error = await smpError(dateTimeWrite(smp, text));
        expect({ text, kind: error.detail.kind, rc: error.rc }).toEqual({ text, kind: 'rc', rc: 3 });
      }
      const numeric = defineCommand({ ...dateTimeSet, request: { datetime: int() }, response: {} });
      expect((await smpError(smp.request(numeric, { datetime: 20261202 }))).rc).toBe(3);
      const missing = await smpError(
        smp.request(defineCommand({ ...dateTimeSet, request: {}, response: {} }), {}),
      );
      expect(missing.rc).toBe(3);
    }
    const v2 = await smpError(dateTimeWrite(served.client(2).smp, '2026-02-30T00:00:00'));
    expect({ group: v2.group, rc: v2.rc, code: v2.codeName }).toEqual({
      group: 0,
      rc: 5,
      code: 'RTC_COMMAND_FAILED',
    });
    const v1 = await smpError(dateTimeWrite(served.client(1).smp, '2026-02-30T00:00:00'));
    expect({ kind: v1.detail.kind, rc: v1.rc }).toEqual({ kind: 'rc', rc: 1 });
    // Nothing was set by any of them.
    expect((await smpError(served.client(2).smp.request(dateTimeGet, {}))).rc).toBe(4);
  });
});
