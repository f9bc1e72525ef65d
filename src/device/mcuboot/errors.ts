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

/** An `assert(0)` / "panic!" inside the bootloader: the device would hang here. */
export class BootPanic extends Error {
  override name = 'BootPanic';
}
