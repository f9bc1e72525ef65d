/** `storage erase`: Zephyr basic's erase storage (group 63). */
import type { Command } from 'commander';
import type { ContextFactory } from '../../cli/conn.ts';
import type { CliContext } from '../../cli/context.ts';
import { eraseStoragePartition } from './client.ts';

export async function storageEraseCommand(ctx: CliContext): Promise<void> {
  // Never retried: one erase is what was asked for, and a lost answer does not undo it.
  await ctx.withDevice((device) => eraseStoragePartition(device.smp, { ...ctx.callOptions(), retries: 0 }));
  ctx.emit(
    { erased: 'storage_partition' },
    "Erased the device's whole storage_partition: its file system, stored settings and logs are gone\n" +
      '(the running app does not notice until it restarts; the next boot mounts an empty file system).\n',
  );
}

export function registerZephyrBasicCommands(program: Command, context: ContextFactory): void {
  const storage = program
    .command('storage')
    .description("The device's storage partition (Zephyr basic group)");
  storage
    .command('erase')
    .description("Erase the device's whole storage_partition (file system, settings); asks no confirmation")
    .action((_opts: unknown, command: Command) => storageEraseCommand(context(command)));
}
