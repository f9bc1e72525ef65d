/**
 * Settings commands: `settings read|write|delete|commit|load|save`, with `config` as an alias
 * (mcumgr's verb for the group).
 */
import type { Command } from 'commander';
import type { ContextFactory } from '../../cli/conn.ts';
import type { CliContext } from '../../cli/context.ts';
import { CliError } from '../../cli/errors.ts';
import { toHex } from '../../cli/format.ts';
import {
  commitSettings,
  deleteSetting,
  loadSettings,
  readSetting,
  saveSettings,
  writeSetting,
} from './client.ts';
import {
  formatValue,
  parseValue,
  parseValueFormat,
  VALUE_FORMATS,
  type ValueFormat,
} from './value-format.ts';

function valueFormat(text: string | undefined, fallback: ValueFormat): ValueFormat {
  if (text === undefined) return fallback;
  try {
    return parseValueFormat(text);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

function maxSizeOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) {
    throw new CliError(`--max-size must be a whole number of bytes from 0 to 4294967295, not "${text}".`);
  }
  return Number(text);
}

export async function settingsReadCommand(
  ctx: CliContext,
  name: string,
  opts: { maxSize?: string; format?: string },
): Promise<void> {
  const format = valueFormat(opts.format, 'auto');
  const maxSize = maxSizeOption(opts.maxSize);
  const result = await ctx.withDevice((device) => readSetting(device.smp, name, maxSize, ctx.callOptions()));
  let shown: string;
  try {
    shown = formatValue(result.value, format);
  } catch (error) {
    throw new CliError(`${name}: ${(error as Error).message}`);
  }
  const capped =
    result.deviceMaxSize === undefined
      ? ''
      : `(the device returns at most ${result.deviceMaxSize} bytes; asked for ${maxSize})\n`;
  ctx.emit(
    {
      name,
      val: toHex(result.value),
      value: shown,
      format,
      ...(result.deviceMaxSize === undefined ? {} : { max_size: result.deviceMaxSize }),
    },
    `${name} = ${shown}\n${capped}`,
  );
}

export async function settingsWriteCommand(
  ctx: CliContext,
  name: string,
  text: string,
  opts: { hex?: boolean; format?: string },
): Promise<void> {
  if (opts.hex === true && opts.format !== undefined && opts.format !== 'hex') {
    throw new CliError(`--hex and --format ${opts.format} disagree; give one of them.`);
  }
  const format = opts.hex === true ? 'hex' : valueFormat(opts.format, 'text');
  let value: Uint8Array;
  try {
    value = parseValue(text, format);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  await ctx.withDevice((device) => writeSetting(device.smp, name, value, ctx.callOptions()));
  ctx.emit(
    { name, val: toHex(value), written: true },
    `${name} set to ${formatValue(value, format === 'text' ? 'auto' : format)} (${value.length} byte${value.length === 1 ? '' : 's'}; \`settings save\` keeps it across resets)\n`,
  );
}

export async function settingsDeleteCommand(ctx: CliContext, name: string): Promise<void> {
  await ctx.withDevice((device) => deleteSetting(device.smp, name, ctx.callOptions()));
  ctx.emit(
    { name, deleted: true },
    `${name} deleted from storage (the running app keeps its value until reset)\n`,
  );
}

type Action = 'commit' | 'load' | 'save';

const ACTIONS: Readonly<Record<Action, { call: typeof commitSettings; words: string; help: string }>> = {
  commit: {
    call: commitSettings,
    words: "Committed: the device's settings handlers applied their values",
    help: "Ask the device's settings handlers to apply the values they hold (settings_commit)",
  },
  load: {
    call: loadSettings,
    words: 'Loaded: the device read its stored settings into its handlers',
    help: 'Make the device load its stored settings into its handlers, then commit (settings_load)',
  },
  save: {
    call: saveSettings,
    words: 'Saved: the device stored the values its handlers hold',
    help: 'Make the device store every value its handlers hold (settings_save)',
  },
};

export async function settingsActionCommand(ctx: CliContext, action: Action): Promise<void> {
  await ctx.withDevice((device) => ACTIONS[action].call(device.smp, ctx.callOptions()));
  ctx.emit({ [action]: true }, `${ACTIONS[action].words}\n`);
}

export function registerSettingsCommands(program: Command, context: ContextFactory): void {
  const settings = program
    .command('settings')
    .alias('config')
    .description('Read, write, delete, commit, load and save settings (alias: config)');
  settings
    .command('read')
    .description('Read a setting, e.g. `settings read blinky/rate`')
    .argument('<key>', 'settings key')
    .option('--max-size <bytes>', 'read at most this many bytes (the device caps it at its own buffer)')
    .option('--format <format>', `how to show the value: ${VALUE_FORMATS.join('|')} (default auto)`)
    .action((key: string, opts: { maxSize?: string; format?: string }, command: Command) =>
      settingsReadCommand(context(command), key, opts),
    );
  settings
    .command('write')
    .description('Write a setting, e.g. `settings write blinky/rate 4`')
    .argument('<key>', 'settings key')
    .argument('<value>', 'the value (text unless --hex or --format)')
    .option('--hex', 'the value is hexadecimal bytes')
    .option('--format <format>', `how to read VALUE: ${VALUE_FORMATS.filter((f) => f !== 'auto').join('|')}`)
    .action((key: string, value: string, opts: { hex?: boolean; format?: string }, command: Command) =>
      settingsWriteCommand(context(command), key, value, opts),
    );
  settings
    .command('delete')
    .description('Delete a stored setting')
    .argument('<key>', 'settings key')
    .action((key: string, _opts: unknown, command: Command) => settingsDeleteCommand(context(command), key));
  for (const action of ['commit', 'load', 'save'] as const) {
    settings
      .command(action)
      .description(ACTIONS[action].help)
      .action((_opts: unknown, command: Command) => settingsActionCommand(context(command), action));
  }
}
