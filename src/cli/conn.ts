/** `zdfu conn add|list|delete`: connection profiles, mcumgr style (`conn add NAME type=... connstring=...`). */
import type { Command } from 'commander';
import { connTypes, parseConnType } from '../transport/kinds/registry.ts';
import type { CliContext } from './context.ts';
import { CliError } from './errors.ts';
import { formatProfiles } from './format.ts';
import type { ConnProfile } from './profiles.ts';

export type ContextFactory = (command: Command) => CliContext;

/** Parses mcumgr's `type=serial connstring="dev=..."` words into a profile. */
export function parseProfileArgs(name: string, vars: readonly string[]): ConnProfile {
  let type: string | undefined;
  let connstring: string | undefined;
  for (const word of vars) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new CliError(`"${word}" is not KEY=VALUE; expected type=... and connstring=...`);
    const key = word.slice(0, eq);
    const value = word.slice(eq + 1);
    if (key === 'type') type = value;
    else if (key === 'connstring') connstring = value;
    else throw new CliError(`Unknown profile variable "${key}"; expected type or connstring.`);
  }
  if (type === undefined)
    throw new CliError(`Profile "${name}" needs type=${connTypes().join(' or type=')}.`);
  if (connstring === undefined) throw new CliError(`Profile "${name}" needs connstring=...`);
  return { name, type: parseConnType(type), connstring };
}

export function connAdd(ctx: CliContext, name: string, vars: readonly string[]): void {
  const profile = parseProfileArgs(name, vars);
  ctx.profiles.add(profile);
  ctx.emit({ added: profile }, `Connection profile ${name} successfully added\n`);
}

export function connList(ctx: CliContext): void {
  const profiles = ctx.profiles.list();
  const broken = ctx.profiles.broken();
  // Broken entries do not hide the good ones; each says how to repair it.
  for (const problem of broken) ctx.io.stderr.write(`Warning: ${problem}\n`);
  ctx.emit(broken.length > 0 ? { profiles, broken } : { profiles }, formatProfiles(profiles));
}

export function connDelete(ctx: CliContext, name: string): void {
  ctx.profiles.delete(name);
  ctx.emit({ deleted: name }, `Connection profile ${name} successfully deleted.\n`);
}

export function registerConnCommands(program: Command, context: ContextFactory): void {
  const conn = program.command('conn').description('Manage connection profiles');
  conn
    .command('add')
    .description('Add or replace a connection profile')
    .argument('<name>', 'profile name')
    .argument('<vars...>', `type=${connTypes().join('|')} connstring=...`)
    .addHelpText(
      'after',
      '\nExamples:\n  zdfu conn add board type=serial connstring="dev=/dev/ttyACM0,baud=115200,mtu=256"\n' +
        '  zdfu conn add sim type=udp connstring=127.0.0.1:1337',
    )
    .action((name: string, vars: string[], _opts: unknown, command: Command) =>
      connAdd(context(command), name, vars),
    );
  conn
    .command('list')
    .alias('show')
    .description('List connection profiles')
    .action((_opts: unknown, command: Command) => connList(context(command)));
  conn
    .command('delete')
    .description('Delete a connection profile')
    .argument('<name>', 'profile name')
    .action((name: string, _opts: unknown, command: Command) => connDelete(context(command), name));
}
