/** Logging (zephyr/logging/log.h): LOG_MODULE_REGISTER and the LOG_* macros, printf-style. */
import { zephyrHost } from '../host.ts';
import { formatPrintf, type PrintfArg } from '../printf.ts';
import { formatLogLine, type LogLevel } from './format.ts';

export interface LogModule {
  readonly name: string;
}

export function LOG_MODULE_REGISTER(name: string): LogModule {
  return { name };
}

function emit(level: LogLevel, module: LogModule, format: string, args: readonly PrintfArg[]): void {
  const host = zephyrHost();
  host.consoleWrite(formatLogLine(host.uptimeUs(), level, module.name, formatPrintf(format, args)));
}

export function LOG_ERR(module: LogModule, format: string, ...args: PrintfArg[]): void {
  emit('err', module, format, args);
}

export function LOG_WRN(module: LogModule, format: string, ...args: PrintfArg[]): void {
  emit('wrn', module, format, args);
}

export function LOG_INF(module: LogModule, format: string, ...args: PrintfArg[]): void {
  emit('inf', module, format, args);
}

export function LOG_DBG(module: LogModule, format: string, ...args: PrintfArg[]): void {
  emit('dbg', module, format, args);
}
