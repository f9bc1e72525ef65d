/** Shell group commands: `shell exec ARGV...` (mcumgr's verb). */
import type { Command } from 'commander';
import type { ContextFactory } from '../../cli/conn.ts';
import type { CliContext } from '../../cli/context.ts';
import { shellExecute } from './client.ts';

/**
 * Prints what the command printed, as mcumgr does (the device's CR LF line ends made plain); a
 * non-zero return value is named on stderr, and the exit code stays 0: the device ran the line.
 */
export async function shellExecCommand(ctx: CliContext, argv: readonly string[]): Promise<void> {
  const result = await ctx.withDevice((device) => shellExecute(device.smp, argv, ctx.callOptions()));
  const text = result.output.replace(/\r\n/g, '\n').replace(/^\n/, '');
  ctx.emit({ o: result.output, ret: result.ret }, text.endsWith('\n') || text === '' ? text : `${text}\n`);
  if (!ctx.json && result.ret !== 0) ctx.io.stderr.write(`(the command returned ${result.ret})\n`);
}

export function registerShellCommands(program: Command, context: ContextFactory): void {
  const shell = program.command('shell').description("Run commands in the device's shell");
  shell
    .command('exec')
    .description('Run one command line in the device shell and print its output')
    .argument('<argv...>', 'the command and its arguments (put -- before arguments that start with -)')
    .action((argv: string[], _opts: unknown, command: Command) => shellExecCommand(context(command), argv));
}
