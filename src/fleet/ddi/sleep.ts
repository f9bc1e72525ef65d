/**
 * hawkBit's poll interval text, `config.polling.sleep` = "HH:MM:SS", to and from milliseconds.
 * hawkBit writes it with Java's "HH:mm:ss" pattern (hawkbit: DdiPolling, the tenant's
 * `pollingTime` system config), so minutes and seconds are two digits under 60; hours are read
 * with up to three digits, since a server may be configured with long intervals. Pure module.
 */

/** A sleep text that is not "HH:MM:SS". */
export class DdiSleepError extends Error {
  override readonly name = 'DdiSleepError';
}

const SLEEP = /^(\d{1,3}):([0-5]\d):([0-5]\d)$/;

/** "00:05:00" → 300000. Throws DdiSleepError naming the text when it is not "HH:MM:SS". */
export function parseSleep(text: string): number {
  const match = SLEEP.exec(text);
  if (match === null) {
    const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
    throw new DdiSleepError(
      `"${shown}" is not a hawkBit poll interval: expected hours:minutes:seconds such as "00:05:00"`,
    );
  }
  const [, h, m, s] = match;
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000;
}

/** 300000 → "00:05:00" (whole seconds, rounded down). Throws RangeError for a negative or huge value. */
export function formatSleep(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0 || ms >= 1000 * 3600 * 1000) {
    throw new RangeError(`a poll interval of ${ms} ms cannot be written as HH:MM:SS (0 up to 999:59:59)`);
  }
  const total = Math.floor(ms / 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(Math.floor(total / 3600))}:${two(Math.floor(total / 60) % 60)}:${two(total % 60)}`;
}
