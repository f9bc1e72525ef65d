/** Enumeration commands: `enum count|list|single N|details [GROUP...]`. */
import type { Command } from 'commander';
import type { ContextFactory } from '../../cli/conn.ts';
import type { CliContext } from '../../cli/context.ts';
import { CliError } from '../../cli/errors.ts';
import { groupName } from '../catalog.ts';
import { enumGroupAt, enumGroupCount, enumGroupDetails, enumGroupList } from './client.ts';

function groupLine(id: number): string {
  return `${String(id).padStart(3)}  ${groupName(id)}`;
}

function wholeNumber(text: string, what: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) > max)
    throw new CliError(`${what} must be a whole number from 0 to ${max}, not "${text}".`);
  return Number(text);
}

export async function enumCountCommand(ctx: CliContext): Promise<void> {
  const count = await ctx.withDevice((device) => enumGroupCount(device.smp, ctx.callOptions()));
  ctx.emit({ count }, `${count} group${count === 1 ? '' : 's'}\n`);
}

export async function enumListCommand(ctx: CliContext): Promise<void> {
  const groups = await ctx.withDevice((device) => enumGroupList(device.smp, ctx.callOptions()));
  ctx.emit({ groups }, groups.map((id) => `${groupLine(id)}\n`).join(''));
}

export async function enumSingleCommand(ctx: CliContext, indexText: string): Promise<void> {
  const index = wholeNumber(indexText, 'The index', 0xffffffff);
  const result = await ctx.withDevice((device) => enumGroupAt(device.smp, index, ctx.callOptions()));
  ctx.emit(
    { index, group: result.group, end: result.end },
    `index ${index}: group ${result.group} (${groupName(result.group)})${result.end ? ', the last one' : ''}\n`,
  );
}

export async function enumDetailsCommand(ctx: CliContext, ids: readonly string[]): Promise<void> {
  const filter = ids.length === 0 ? undefined : ids.map((id) => wholeNumber(id, 'A group id', 65535));
  const details = await ctx.withDevice((device) => enumGroupDetails(device.smp, filter, ctx.callOptions()));
  const lines = details.map(
    (d) =>
      `${String(d.group).padStart(3)}  ${(d.name ?? '').padEnd(18)}  ${d.handlers ?? '?'} handler${d.handlers === 1 ? '' : 's'}\n`,
  );
  ctx.emit({ groups: details }, `group  name                handlers\n${lines.join('')}`);
}

export function registerEnumCommands(program: Command, context: ContextFactory): void {
  const group = program.command('enum').description('Ask the device which SMP groups it serves');
  group
    .command('count')
    .description('How many groups the device serves')
    .action((_opts: unknown, command: Command) => enumCountCommand(context(command)));
  group
    .command('list')
    .description('The ids of the groups the device serves')
    .action((_opts: unknown, command: Command) => enumListCommand(context(command)));
  group
    .command('single')
    .description('The group at an index of the list (and whether it is the last)')
    .argument('<index>', 'position in the list, from 0')
    .action((index: string, _opts: unknown, command: Command) => enumSingleCommand(context(command), index));
  group
    .command('details')
    .description("Each group's name and handler count (only the given group ids, if any)")
    .argument('[groups...]', 'group ids')
    .action((groups: string[], _opts: unknown, command: Command) =>
      enumDetailsCommand(context(command), groups),
    );
}
