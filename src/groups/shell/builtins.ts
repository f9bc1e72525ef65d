/**
 * The shell commands a Zephyr v3.5.0 image with the shell carries before the app adds its own,
 * printing what upstream prints: `kernel version` / `kernel uptime` (subsys/shell/modules/
 * kernel_service.c), `device list` (subsys/shell/modules/device_service.c), `mcuboot`
 * (subsys/dfu/boot/mcuboot_shell.c: the running image's swap type and confirmation, then each
 * image-0 slot's header version and size and its trailer) and `help` (the command list).
 */
import type { Board } from '../../device/boards/board.ts';
import type { FlashArea } from '../../device/flash.ts';
import { readSwapState, swapType } from '../../device/mcuboot/public.ts';
import { decodeHeaderFields, IMAGE_HEADER_SIZE, IMAGE_MAGIC } from '../../image/format.ts';
import { BootFlag, BootMagic, SwapType } from '../../image/trailer.ts';
import type { ImageSlots } from '../image/slots.ts';
import { kernelVersion } from '../os/kernel-version.ts';
import { formatCommandList, type ShellCommand, type ShellOutput } from './shell.ts';

export interface BuiltinContext {
  readonly board: Board;
  readonly slots: ImageSlots;
  /** k_uptime_get: milliseconds since the app's kernel started. */
  uptimeMs(): number;
  /** Every root command (for `help`), the app's included. */
  roots(): readonly ShellCommand[];
}

const EIO = 5;

function command(
  name: string,
  help: string,
  handler?: ShellCommand['handler'],
  subcommands: readonly ShellCommand[] = [],
  args: { mandatory: number; optional: number } = { mandatory: 1, optional: 0 },
): ShellCommand {
  return handler
    ? { name, help, handler, subcommands, ...args }
    : { name, help, subcommands, mandatory: 0, optional: 0 };
}

/**
 * The devices of the board's devicetree that a v3.5.0 image instantiates and device_list prints:
 * its flash devices, the console UART and the GPIO ports its aliases use, all ready once booted.
 * Zephyr names a device by its node's full name (gpio@40020c00); the board file records node
 * labels (gpiod), which stand in for those names here.
 */
export function boardDevices(board: Board): string[] {
  const aliases = { ...board.devicetree.aliases, ...(board.devicetree.appOverlay?.aliases ?? {}) };
  const ports = [...new Set(Object.values(aliases).map((gpio) => gpio.port))].sort();
  return [...board.flashDevices.map((device) => device.id), ...ports, board.devicetree.console];
}

const MAGIC_WORDS: Readonly<Record<number, string>> = {
  [BootMagic.GOOD]: 'good',
  [BootMagic.BAD]: 'bad',
  [BootMagic.UNSET]: 'unset',
};
const FLAG_WORDS: Readonly<Record<number, string>> = {
  [BootFlag.SET]: 'set',
  [BootFlag.BAD]: 'bad',
  [BootFlag.UNSET]: 'unset',
};
const SWAP_WORDS: Readonly<Record<number, string>> = {
  [SwapType.NONE]: 'none',
  [SwapType.TEST]: 'test',
  [SwapType.PERM]: 'perm',
  [SwapType.REVERT]: 'revert',
  [SwapType.FAIL]: 'fail',
};

/** cmd_mcuboot_info_area: the slot's header, then its trailer (CONFIG_MCUBOOT_TRAILER_SWAP_TYPE=y). */
function mcubootArea(out: ShellOutput, name: string, id: number, area: FlashArea, maxAlign: number): void {
  const header = decodeHeaderFields(area.read(0, IMAGE_HEADER_SIZE));
  if (header.magic !== IMAGE_MAGIC) {
    // boot_read_bank_header refuses an area without an image header (-EIO).
    out.write(`failed to read ${name} area (${id}) header: -${EIO}\n`);
    return;
  }
  const { major, minor, revision, build } = header.version;
  const state = readSwapState(area, maxAlign);
  out.write(
    `${name} area (${id}):\n` +
      `  version: ${major}.${minor}.${revision}+${build}\n` +
      `  image size: ${header.imgSize}\n` +
      `  magic: ${MAGIC_WORDS[state.magic] ?? 'unknown'}\n` +
      `  swap type: ${SWAP_WORDS[state.swapType] ?? 'unknown'}\n` +
      `  copy done: ${FLAG_WORDS[state.copyDone] ?? 'unknown'}\n` +
      `  image ok: ${FLAG_WORDS[state.imageOk] ?? 'unknown'}\n`,
  );
}

export function builtinCommands(context: BuiltinContext): ShellCommand[] {
  const { board, slots } = context;
  const maxAlign = board.mcuboot.maxAlign;
  // FIXED_PARTITION_ID: the partition's place among the devicetree's fixed partitions.
  const partitionId = (label: string) => board.partitions.findIndex((p) => p.label === label);
  const image0 = slots.images[0];

  const kernel = command('kernel', 'Kernel commands', undefined, [
    command('uptime', 'Kernel uptime.', (out) => {
      out.write(`Uptime: ${Math.floor(context.uptimeMs()) >>> 0} ms\n`);
      return 0;
    }),
    command('version', 'Kernel version.', (out) => {
      out.write(`Zephyr version ${kernelVersion(board)}\n`);
      return 0;
    }),
  ]);

  const device = command('device', 'Device commands', undefined, [
    command('list', 'List configured devices', (out) => {
      out.write('devices:\n');
      for (const name of boardDevices(board)) out.write(`- ${name} (READY)\n`);
      return 0;
    }),
  ]);

  const mcuboot = command(
    'mcuboot',
    'MCUboot commands',
    (out) => {
      if (!image0) return -EIO;
      const type = swapType(image0.primary, image0.secondary, maxAlign);
      const primaryState = readSwapState(image0.primary, maxAlign);
      const confirmed = primaryState.magic === BootMagic.UNSET || primaryState.imageOk === BootFlag.SET;
      out.write(`swap type: ${SWAP_WORDS[type] ?? 'unknown'}\nconfirmed: ${confirmed ? 1 : 0}\n`);
      out.write('\n');
      mcubootArea(out, 'primary', partitionId(image0.primary.label), image0.primary, maxAlign);
      out.write('\n');
      mcubootArea(out, 'secondary', partitionId(image0.secondary.label), image0.secondary, maxAlign);
      return 0;
    },
    [],
    // SHELL_CMD_REGISTER with a handler: no argument count checked.
    { mandatory: 0, optional: 0 },
  );

  const help = command(
    'help',
    'Prints the help message.',
    (out) => {
      out.write(`Available commands:\n${formatCommandList(context.roots())}`);
      return 0;
    },
    [],
    { mandatory: 0, optional: 0 },
  );

  return [device, help, kernel, mcuboot];
}
