/** OS group commands: `echo TEXT`, `reset`, `params`. */
import type { Command } from 'commander';
import type { ContextFactory } from '../../cli/conn.ts';
import type { CliContext } from '../../cli/context.ts';
import { formatParams } from '../../cli/format.ts';

export async function echoCommand(ctx: CliContext, text: string): Promise<void> {
  const reply = await ctx.withDevice((device) => device.echo(text, ctx.callOptions()));
  ctx.emit({ r: reply }, `${reply}\n`);
}

export async function resetCommand(ctx: CliContext, force: boolean): Promise<void> {
  await ctx.withDevice((device) => device.reset({ ...ctx.callOptions(), force }));
  ctx.emit({ reset: true }, 'Done\n');
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
    .action((opts: { force?: boolean }, command: Command) =>
      resetCommand(context(command), opts.force === true),
    );
  program
    .command('params')
    .description("Show the device's SMP buffer size and count (os mcumgr params)")
    .action((_opts: unknown, command: Command) => paramsCommand(context(command)));
}
