/** Statistics commands: `stat list`, `stat NAME`. */
import type { Command } from 'commander';
import type { ContextFactory } from '../../cli/conn.ts';
import type { CliContext } from '../../cli/context.ts';
import { formatStatList, formatStatShow } from '../../cli/format.ts';

export async function statListCommand(ctx: CliContext): Promise<void> {
  const groups = await ctx.withDevice((device) => device.statList(ctx.callOptions()));
  ctx.emit({ stat_list: groups }, formatStatList(groups));
}

export async function statShowCommand(ctx: CliContext, name: string): Promise<void> {
  const stat = await ctx.withDevice((device) => device.statShow(name, ctx.callOptions()));
  ctx.emit(stat, formatStatShow(stat));
}

export function registerStatCommands(program: Command, context: ContextFactory): void {
  const stat = program
    .command('stat')
    .description('Read statistics: `stat list` or `stat NAME`')
    .argument('<name>', 'statistics group name')
    .action((name: string, _opts: unknown, command: Command) => statShowCommand(context(command), name));
  stat
    .command('list')
    .description('List statistics groups')
    .action((_opts: unknown, command: Command) => statListCommand(context(command)));
}
