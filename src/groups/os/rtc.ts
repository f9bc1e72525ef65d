/**
 * The board's real-time clock as os_mgmt's date-time handlers reach it (Zephyr's RTC API,
 * include/zephyr/drivers/rtc.h): rtc_get_time answers -ENODATA until a time was set, as the
 * emulated RTC (drivers/rtc/rtc_emul.c) does; rtc_set_time refuses a day the month does not have
 * (-EINVAL). Once set, it counts on from the set point with the board's clock, across warm resets
 * (the RTC keeps running while the board has power); a power cycle loses it (no backup battery).
 * Pure: the clock is given.
 */
import { type CalendarTime, fromEpochMs, isCalendarDate, toEpochMs } from './datetime.ts';

export type RtcGet = { ok: true; time: CalendarTime } | { ok: false; errno: 'ENODATA' };

export class VirtualRtc {
  private setPoint: { epochMs: number; atMs: number } | undefined;

  /** `now`: a monotonic clock in milliseconds (performance.now on the host). */
  constructor(private readonly now: () => number) {}

  get isSet(): boolean {
    return this.setPoint !== undefined;
  }

  /** rtc_get_time. */
  get(): RtcGet {
    const point = this.setPoint;
    if (!point) return { ok: false, errno: 'ENODATA' };
    return { ok: true, time: fromEpochMs(point.epochMs + (this.now() - point.atMs)) };
  }

  /** rtc_set_time: false (-EINVAL) for a date that does not exist (30 February). */
  set(time: CalendarTime): boolean {
    if (!isCalendarDate(time)) return false;
    this.setPoint = { epochMs: toEpochMs(time), atMs: this.now() };
    return true;
  }

  /** The board lost power: the clock forgets its time. */
  powerLost(): void {
    this.setPoint = undefined;
  }
}
