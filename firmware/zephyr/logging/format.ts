/**
 * The text form of one log message as Zephyr's UART log backend prints it by default:
 * `[hh:mm:ss.mmm,uuu] <inf> module: message`. Shared by the app's LOG_* calls and the virtual
 * kernel's fatal-error report, which in a real image are the same logging subsystem.
 */
export type LogLevel = 'err' | 'wrn' | 'inf' | 'dbg';

export function formatLogTimestamp(uptimeUs: number): string {
  const us = Math.max(0, Math.floor(uptimeUs));
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  const hours = Math.floor(us / 3_600_000_000);
  const minutes = Math.floor(us / 60_000_000) % 60;
  const seconds = Math.floor(us / 1_000_000) % 60;
  const millis = Math.floor(us / 1000) % 1000;
  return `[${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(millis, 3)},${pad(us % 1000, 3)}]`;
}

export function formatLogLine(uptimeUs: number, level: LogLevel, module: string, message: string): string {
  return `${formatLogTimestamp(uptimeUs)} <${level}> ${module}: ${message}\n`;
}
