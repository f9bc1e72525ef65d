/**
 * How a zdfu firmware app sits in a Zephyr-style binary: like a real Zephyr build linked for
 * MCUboot, zephyr.bin starts with ROM_START_OFFSET zero bytes (where the image header goes when
 * signing), followed by the app, here bundled JavaScript in UTF-8 that starts with APP_MARKER.
 * Pure: no Node imports.
 */

/** Zephyr's CONFIG_ROM_START_OFFSET default for MCUboot builds: room for the image header. */
export const ROM_START_OFFSET = 0x200;

/** First bytes of every app bundle; tells our firmware apart from arbitrary image payloads. */
export const APP_MARKER = '/*zdfu-firmware-app*/';

/** Global under which the bundle exposes its exports (`main`) to the virtual kernel. */
export const APP_GLOBAL = '__zephyr_app';

export class FirmwareImageError extends Error {
  readonly headerSize: number;
  readonly imgSize: number;
  readonly slotSize: number;
  constructor(message: string, layout: { headerSize: number; imgSize: number; slotSize: number }) {
    super(message);
    this.name = 'FirmwareImageError';
    this.headerSize = layout.headerSize;
    this.imgSize = layout.imgSize;
    this.slotSize = layout.slotSize;
  }
}

/** zephyr.bin: ROM_START_OFFSET zero bytes, then the app's code. */
export function toZephyrBin(appCode: string): Uint8Array {
  if (!appCode.startsWith(APP_MARKER)) {
    throw new Error(`app bundle must start with ${APP_MARKER} (got ${JSON.stringify(appCode.slice(0, 24))})`);
  }
  const code = new TextEncoder().encode(appCode);
  const bin = new Uint8Array(ROM_START_OFFSET + code.length);
  bin.set(code, ROM_START_OFFSET);
  return bin;
}

/**
 * The app's code from an image in a slot: skips the `headerSize`-byte header, reads `imgSize`
 * body bytes, drops leading zeros (left by ROM_START_OFFSET when the header was prepended rather
 * than written over them), and checks that what remains is one of our apps.
 */
export function extractAppCode(slotBytes: Uint8Array, headerSize: number, imgSize: number): string {
  const layout = { headerSize, imgSize, slotSize: slotBytes.length };
  const fail = (why: string) => new FirmwareImageError(`not a zdfu firmware image: ${why}`, layout);
  if (!Number.isInteger(headerSize) || headerSize < 0 || !Number.isInteger(imgSize) || imgSize <= 0) {
    throw fail(`header size ${headerSize} and image size ${imgSize} must be whole numbers, size above 0`);
  }
  if (headerSize + imgSize > slotBytes.length) {
    throw fail(
      `header (${headerSize} bytes) + body (${imgSize} bytes) = ${headerSize + imgSize} bytes ` +
        `do not fit in the ${slotBytes.length}-byte slot`,
    );
  }
  const body = slotBytes.subarray(headerSize, headerSize + imgSize);
  let start = 0;
  while (start < body.length && body[start] === 0) start++;
  let code: string;
  try {
    code = new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(start));
  } catch {
    throw fail(`the body (from offset 0x${(headerSize + start).toString(16)}) is not UTF-8 text`);
  }
  if (!code.startsWith(APP_MARKER)) {
    const head = Array.from(body.subarray(start, start + 8), (b) => b.toString(16).padStart(2, '0')).join(
      ' ',
    );
    throw fail(`the body does not start with the app marker ${APP_MARKER} (first bytes: ${head || 'none'})`);
  }
  return code;
}
