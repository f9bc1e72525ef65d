/** Kernel services (zephyr/kernel.h, zephyr/sys/printk.h) backed by the virtual SoC. */
import { zephyrHost } from './host.ts';
import { formatPrintf, type PrintfArg } from './printf.ts';

/** Sleeps the calling thread; `await` it, as the firmware's only thread is cooperative. */
export function k_msleep(ms: number): Promise<void> {
  return zephyrHost().sleepMs(ms);
}

/** Milliseconds since boot. */
export function k_uptime_get(): number {
  return Math.floor(zephyrHost().uptimeUs() / 1000);
}

export function printk(format: string, ...args: PrintfArg[]): void {
  zephyrHost().consoleWrite(formatPrintf(format, args));
}
