// MCUboot's bootutil return codes (bootutil_public.h), carried by an Error with a readable message.

export const BootErrorCode = {
  BOOT_EFLASH: 1,
  BOOT_EFILE: 2,
  BOOT_EBADIMAGE: 3,
  BOOT_EBADVECT: 4,
  BOOT_EBADSTATUS: 5,
  BOOT_ENOMEM: 6,
  BOOT_EBADARGS: 7,
  BOOT_EBADVERSION: 8,
  BOOT_EFLASH_SEC: 9,
} as const;
export type BootErrorName = keyof typeof BootErrorCode;

export class BootError extends Error {
  override name = 'BootError';
  /** Numeric bootutil code, as an SMP server would map it. */
  readonly rc: number;
  constructor(
    readonly code: BootErrorName,
    message: string,
  ) {
    super(`${message} (${code} = ${BootErrorCode[code]})`);
    this.rc = BootErrorCode[code];
  }
}

/**
 * Where MCUboot stops for good: an `assert()` that fails (Zephyr's picolibc turns it into abort(),
 * a kernel panic: the CPU halts), "panic!" + FIH_PANIC (an endless loop), or a walk off the end
 * of an array that a real board only survives by luck. bootGo turns it into a boot that halts
 * after `consoleLines` (what MCUboot itself prints there, if anything).
 */
export class BootPanic extends Error {
  override name = 'BootPanic';
  constructor(
    message: string,
    readonly consoleLines: readonly string[] = [],
  ) {
    super(message);
  }
}
