/** The subset of C printf conversions Zephyr apps use with printk and LOG_*. */
export type PrintfArg = string | number | boolean | bigint;

const CONVERSION = /%(0?)(\d*)(l{0,2}|z|h{0,2})([diuxXscp%])/g;

export function formatPrintf(format: string, args: readonly PrintfArg[]): string {
  let next = 0;
  return format.replace(CONVERSION, (whole, zero: string, width: string, _length: string, conv: string) => {
    if (conv === '%') return '%';
    if (next >= args.length) return whole;
    const arg = args[next++];
    let text: string;
    switch (conv) {
      case 'd':
      case 'i':
        text = typeof arg === 'bigint' ? arg.toString() : String(Math.trunc(Number(arg)));
        break;
      case 'u':
        text = typeof arg === 'bigint' ? arg.toString() : String(Math.trunc(Number(arg)) >>> 0);
        break;
      case 'x':
        text = (typeof arg === 'bigint' ? arg : BigInt(Math.trunc(Number(arg)) >>> 0)).toString(16);
        break;
      case 'X':
        text = (typeof arg === 'bigint' ? arg : BigInt(Math.trunc(Number(arg)) >>> 0))
          .toString(16)
          .toUpperCase();
        break;
      case 'p':
        text = `0x${(typeof arg === 'bigint' ? arg : BigInt(Math.trunc(Number(arg)) >>> 0)).toString(16)}`;
        break;
      case 'c':
        text = typeof arg === 'number' ? String.fromCharCode(arg) : String(arg).slice(0, 1);
        break;
      default:
        text = String(arg);
    }
    const minWidth = width === '' ? 0 : Number(width);
    return text.padStart(minWidth, zero === '0' && conv !== 's' ? '0' : ' ');
  });
}
