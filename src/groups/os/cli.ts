/**
 * OS group commands, with mcumgr's verbs where it has them: `echo TEXT`, `reset [--force]
 * [--boot-mode N]`, `params`, `taskstat`, `mpstat`, `datetime [VALUE|now]`, and `os info [FORMAT]`,
 * `bootloader [QUERY]`, which mcumgr lacks.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { ContextFactory } from '../../cli/conn.ts';
import type { CliContext } from '../../cli/context.ts';
import { CliError } from '../../cli/errors.ts';
import { formatParams } from '../../cli/format.ts';
import { SmpError } from '../../smp/errors.ts';
import {
  bootloaderInformation,
  dateTimeRead,
  dateTimeWrite,
  localDateTime,
  MCUBOOT_MODE_NAMES,
  memoryPoolStats,
  osInfoText,
  resetDevice,
  type TaskInfo,
  taskStats,
} from './client.ts';
import { DateTimeFormatError, parseDateTime } from './datetime.ts';
import type { MemoryPool } from './models.ts';

export async function echoCommand(ctx: CliContext, text: string): Promise<void> {
  const reply = await ctx.withDevice((device) => device.echo(text, ctx.callOptions()));
  ctx.emit({ r: reply }, `${reply}\n`);
}

export async function resetCommand(ctx: CliContext, force: boolean, bootMode?: number): Promise<void> {
  await ctx.withDevice((device) =>
    resetDevice(device.smp, { ...ctx.callOptions(), force, ...(bootMode !== undefined ? { bootMode } : {}) }),
  );
  ctx.emit({ reset: true }, 'Done\n');
}

/** mcumgr's taskstat table: one row per thread, the columns the device sent. */
export function formatTaskStats(tasks: Readonly<Record<string, TaskInfo>>): string {
  const columns: Array<[keyof TaskInfo, string]> = [
    ['prio', 'pri'],
    ['tid', 'tid'],
    ['state', 'state'],
    ['stksiz', 'stksz'],
    ['stkuse', 'stkuse'],
    ['runtime', 'runtime'],
    ['cswcnt', 'csw'],
    ['last_checkin', 'last_checkin'],
    ['next_checkin', 'next_checkin'],
  ];
  const rows = Object.entries(tasks);
  const shown = columns.filter(([key]) => rows.some(([, task]) => task[key] !== undefined));
  const nameWidth = Math.max(4, ...rows.map(([name]) => name.length));
  const cell = (text: string, title: string) => text.padStart(Math.max(title.length, 3));
  const header = `  ${'task'.padStart(nameWidth)} ${shown.map(([, title]) => cell(title, title)).join(' ')}\n`;
  const body = rows
    .map(
      ([name, task]) =>
        `  ${name.padStart(nameWidth)} ${shown.map(([key, title]) => cell(String(task[key] ?? ''), title)).join(' ')}\n`,
    )
    .join('');
  return header + body;
}

export async function taskstatCommand(ctx: CliContext): Promise<void> {
  const tasks = await ctx.withDevice((device) => taskStats(device.smp, ctx.callOptions()));
  ctx.emit({ tasks }, formatTaskStats(tasks));
}

/** mcumgr's mpstat table: name, block size, blocks, free, lowest free. */
export function formatMemoryPools(pools: Readonly<Record<string, MemoryPool>>): string {
  const rows = Object.entries(pools);
  if (rows.length === 0) return 'The device reported no memory pools.\n';
  const width = Math.max(4, ...rows.map(([name]) => name.length));
  const line = (cells: string[]) =>
    `  ${cells[0]!.padStart(width)} ${cells
      .slice(1)
      .map((c) => c.padStart(6))
      .join(' ')}\n`;
  return (
    line(['name', 'blksz', 'cnt', 'free', 'min']) +
    rows
      .map(([name, pool]) =>
        line([
          name,
          String(pool.blksiz ?? pool.blksize ?? ''),
          String(pool.nblks),
          String(pool.nfree),
          String(pool.min),
        ]),
      )
      .join('')
  );
}

export async function mpstatCommand(ctx: CliContext): Promise<void> {
  const pools = await ctx.withDevice((device) => memoryPoolStats(device.smp, ctx.callOptions()));
  ctx.emit({ mpools: pools }, formatMemoryPools(pools));
}

/** `datetime` reads the device's clock; `datetime VALUE` sets it (`now`: this computer's local time). */
export async function datetimeCommand(ctx: CliContext, value?: string): Promise<void> {
  if (value === undefined) {
    const datetime = await ctx.withDevice((device) => dateTimeRead(device.smp, ctx.callOptions()));
    ctx.emit({ datetime }, `datetime: ${datetime}\n`);
    return;
  }
  const datetime = value === 'now' ? localDateTime(new Date()) : value;
  // The device answers a bad text with a bare EINVAL; say what is wrong before sending it.
  try {
    parseDateTime(datetime, true);
  } catch (error) {
    if (error instanceof DateTimeFormatError) {
      throw new CliError(
        `Cannot set the device clock: ${error.message}. Example: 2026-12-02T14:05:00, or now.`,
      );
    }
    throw error;
  }
  await ctx.withDevice((device) => dateTimeWrite(device.smp, datetime, ctx.callOptions()));
  ctx.emit({ datetime, set: true }, `datetime set to ${datetime}\n`);
}

export async function osInfoCommand(ctx: CliContext, format?: string): Promise<void> {
  const output = await ctx.withDevice((device) => osInfoText(device.smp, format, ctx.callOptions()));
  ctx.emit({ output }, `${output}\n`);
}

export async function bootloaderCommand(ctx: CliContext, query?: string): Promise<void> {
  const info = await ctx
    .withDevice((device) => bootloaderInformation(device.smp, query, ctx.callOptions()))
    .catch((error: unknown) => {
      // Zephyr v3.5.0 returns QUERY_YIELDS_NO_ANSWER (3) as a bare rc, which reads as EINVAL.
      if (query !== undefined && error instanceof SmpError && error.detail.kind === 'rc' && error.rc === 3) {
        throw new CliError(
          `The bootloader has no answer to query "${query}" (the device answered rc 3, ` +
            'which Zephyr v3.5.0 sends for QUERY_YIELDS_NO_ANSWER). Known query: mode.',
          { fault: 'local', cause: error },
        );
      }
      throw error;
    });
  const lines: string[] = [];
  if (info.bootloader !== undefined) lines.push(`bootloader: ${info.bootloader}`);
  if (info.mode !== undefined)
    lines.push(`mode: ${info.mode} (${MCUBOOT_MODE_NAMES[info.mode] ?? 'unknown'})`);
  if (info.noDowngrade !== undefined) lines.push(`no-downgrade: ${info.noDowngrade ? 'yes' : 'no'}`);
  if (lines.length === 0) lines.push(`the device answered query "${query}" with nothing zdfu knows`);
  ctx.emit(info, `${lines.join('\n')}\n`);
}

function parseBootMode(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 255) {
    throw new InvalidArgumentError(`"${text}" is not a boot mode: give 0-255 (0 normal, 1 bootloader)`);
  }
  return value;
}

export async function paramsCommand(ctx: CliContext): Promise<void> {
  const params = await ctx.withDevice((device) => device.params(ctx.callOptions()));
  ctx.emit(params, formatParams(params));
}

export function registerOsCommands(program: Command, context: ContextFactory): void {
  program
    .command('echo')
    .description('Send a text to the device and print its reply')
    .argument('<text...>', 'text to echo')
    .action((words: string[], _opts: unknown, command: Command) =>
      echoCommand(context(command), words.join(' ')),
    );
  program
    .command('reset')
    .description('Reboot the device (never retried: a second reset could undo a test swap)')
    .option('-f, --force', 'ask the application to reset even if it would refuse')
    .option(
      '--boot-mode <n>',
      'retention boot mode for the next boot, 1 = bootloader (Zephyr 4.2+; v3.5.0 ignores it)',
      parseBootMode,
    )
    .action((opts: { force?: boolean; bootMode?: number }, command: Command) =>
      resetCommand(context(command), opts.force === true, opts.bootMode),
    );
  program
    .command('params')
    .description("Show the device's SMP buffer size and count (os mcumgr params)")
    .action((_opts: unknown, command: Command) => paramsCommand(context(command)));
  program
    .command('taskstat')
    .description("Show the device's threads (os task statistics)")
    .action((_opts: unknown, command: Command) => taskstatCommand(context(command)));
  program
    .command('mpstat')
    .description("Show the device's memory pools (os memory pool statistics)")
    .action((_opts: unknown, command: Command) => mpstatCommand(context(command)));
  program
    .command('datetime')
    .description("Read the device's real-time clock, or set it (yyyy-MM-ddTHH:mm:ss, or now)")
    .argument('[value]', 'the time to set, e.g. 2026-12-02T14:05:00, or "now" for this computer\'s time')
    .action((value: string | undefined, _opts: unknown, command: Command) =>
      datetimeCommand(context(command), value),
    );
  const os = program.command('os').description('OS group queries');
  os.command('info')
    .description('Show OS and board information, like uname')
    .argument(
      '[format]',
      'letters: s kernel, n node, r release, v version, m machine, p processor, i board, o OS, a all',
    )
    .action((format: string | undefined, _opts: unknown, command: Command) =>
      osInfoCommand(context(command), format),
    );
  program
    .command('bootloader')
    .description('Show the bootloader, or ask it a query (mode)')
    .argument('[query]', 'what to ask, e.g. mode')
    .action((query: string | undefined, _opts: unknown, command: Command) =>
      bootloaderCommand(context(command), query),
    );
}
