/**
 * The date-time text of `os datetime` (group 0, command 4) as Zephyr v3.5.0's
 * subsys/mgmt/mcumgr/grp/os_mgmt/src/os_mgmt.c reads and writes it: get answers
 * "YYYY-MM-DDTHH:MM:SS" (".mmm" added with CONFIG_MCUMGR_GRP_OS_DATETIME_MS); set takes 19 to 25
 * characters holding six numbers, each read as strtol reads it (leading blanks, a sign, digits)
 * and range-checked, with exactly one delimiter character skipped after each; whatever follows the
 * seconds (a time zone, "Z") is ignored, apart from ".mmm" with the MS option. Pure.
 */

/** A calendar time as struct rtc_time holds it, with human month (1-12) and full year. */
export interface CalendarTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
}

/** RTC_DATETIME_MIN_STRING_SIZE and RTC_DATETIME_MAX_STRING_SIZE (the latter excluded). */
export const DATETIME_MIN_LENGTH = 19;
export const DATETIME_MAX_LENGTH = 25;

/** One field's bounds, as os_mgmt.c's datetime_parser table has them. */
const FIELDS = [
  { name: 'year', min: 1900, max: 11899 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day', min: 1, max: 31 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'second', min: 0, max: 59 },
] as const;

export class DateTimeFormatError extends Error {
  override readonly name = 'DateTimeFormatError';
}

/** strtol(text + at, &end, 10): the value and where it stopped; end === at when nothing was read. */
function strtol(text: string, at: number): { value: number; end: number } {
  let i = at;
  while (i < text.length && /[ \t\n\v\f\r]/.test(text[i]!)) i++;
  let sign = 1;
  if (text[i] === '+' || text[i] === '-') {
    if (text[i] === '-') sign = -1;
    i++;
  }
  const digitsFrom = i;
  while (i < text.length && text[i]! >= '0' && text[i]! <= '9') i++;
  if (i === digitsFrom) return { value: 0, end: at };
  return { value: sign * Number(text.slice(digitsFrom, i)), end: i };
}

/**
 * os_mgmt_datetime_write's parse. Throws DateTimeFormatError (the device's MGMT_ERR_EINVAL) naming
 * the problem; `withMs` is CONFIG_MCUMGR_GRP_OS_DATETIME_MS.
 */
export function parseDateTime(text: string, withMs: boolean): CalendarTime {
  if (text.length < DATETIME_MIN_LENGTH || text.length > DATETIME_MAX_LENGTH) {
    throw new DateTimeFormatError(
      `"${text}" is ${text.length} characters; a date-time has ${DATETIME_MIN_LENGTH} to ${DATETIME_MAX_LENGTH} ` +
        '(yyyy-MM-ddTHH:mm:ss, optionally .SSS)',
    );
  }
  const values: number[] = [];
  let pos = 0;
  for (const field of FIELDS) {
    // Past the end: C would read beyond the terminator; the string is too short for six fields.
    if (pos >= text.length) throw new DateTimeFormatError(`"${text}" ends before its ${field.name}`);
    const { value, end } = strtol(text, pos);
    if (end === pos) throw new DateTimeFormatError(`"${text}" has no number for its ${field.name}`);
    if (value < field.min || value > field.max) {
      throw new DateTimeFormatError(
        `${field.name} ${value} is out of range ${field.min}-${field.max} in "${text}"`,
      );
    }
    values.push(value);
    pos = end + 1;
  }
  let millisecond = 0;
  if (withMs && text[pos - 1] === '.' && pos < text.length) {
    millisecond = strtol(text, pos).value;
    if (millisecond < 0 || millisecond > 999) {
      throw new DateTimeFormatError(`millisecond ${millisecond} is out of range 0-999 in "${text}"`);
    }
  }
  const [year, month, day, hour, minute, second] = values as [number, number, number, number, number, number];
  return { year, month, day, hour, minute, second, millisecond };
}

/** os_mgmt_datetime_read's sprintf("%4d-%02d-%02dT%02d:%02d:%02d" [".%d"]). */
export function formatDateTime(time: CalendarTime, withMs: boolean): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const base =
    `${String(time.year).padStart(4, ' ')}-${two(time.month)}-${two(time.day)}` +
    `T${two(time.hour)}:${two(time.minute)}:${two(time.second)}`;
  // "%d", not "%03d": 5 ms reads ".5".
  return withMs ? `${base}.${time.millisecond}` : base;
}

/** Whether the day exists in that month (leap years by the Gregorian rule). */
export function isCalendarDate(time: CalendarTime): boolean {
  const days = new Date(Date.UTC(2000, time.month, 0)).getUTCDate();
  const leap = (time.year % 4 === 0 && time.year % 100 !== 0) || time.year % 400 === 0;
  const inMonth = time.month === 2 ? (leap ? 29 : 28) : days;
  return time.day <= inMonth;
}

/** Milliseconds since 1970 (UTC: the RTC keeps no time zone) for a calendar time, and back. */
export function toEpochMs(time: CalendarTime): number {
  const date = new Date(0);
  date.setUTCFullYear(time.year, time.month - 1, time.day);
  date.setUTCHours(time.hour, time.minute, time.second, time.millisecond);
  return date.getTime();
}

export function fromEpochMs(ms: number): CalendarTime {
  const date = new Date(ms);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: date.getUTCSeconds(),
    millisecond: date.getUTCMilliseconds(),
  };
}
