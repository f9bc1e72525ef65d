/**
 * The device's shell (./shell.ts) as the virtual board runs it: the commands a Zephyr image
 * carries (./builtins.ts) and, behind them, the ones the running app registered with
 * SHELL_CMD_REGISTER: those run on the app's own thread, with a bound on how long they may take.
 */
import type { ShellCommandSpec } from '../../../firmware/zephyr/host.ts';
import { FirmwareShellError } from '../../device/firmware/runner.ts';
import type { AppShell, DeviceServices } from '../../device/server/services.ts';
import { builtinCommands } from './builtins.ts';
import { ENOEXEC, ETIMEDOUT, type ShellCommand, ZephyrShell } from './shell.ts';

/** How long an app's shell command may run before the SMP answer gives up on it. */
export const APP_SHELL_TIMEOUT_MS = 2000;

/** One of the app's commands as the shell runs it: the handler calls into the firmware. */
function appCommand(spec: ShellCommandSpec, path: readonly string[], app: AppShell): ShellCommand {
  const here = [...path, spec.syntax];
  const base = {
    name: spec.syntax,
    help: spec.help,
    mandatory: spec.mandatory,
    optional: spec.optional,
    subcommands: spec.subcommands.map((sub) => appCommand(sub, here, app)),
  };
  if (!spec.hasHandler) return base;
  return {
    ...base,
    handler: async (out, argv) => {
      try {
        const result = await app.run(here, argv, APP_SHELL_TIMEOUT_MS);
        out.write(result.output);
        return result.ret;
      } catch (error) {
        if (!(error instanceof FirmwareShellError)) throw error;
        out.write(`${here.join(' ')}: ${error.message}\n`);
        return error.reason === 'timeout' ? -ETIMEDOUT : -ENOEXEC;
      }
    },
  };
}

/** The device's shell: built-in commands, then the app's (a name the app reuses stays built in). */
export function deviceShell(services: DeviceServices): ZephyrShell {
  let builtins: ShellCommand[] = [];
  const roots = (): ShellCommand[] => {
    const names = new Set(builtins.map((command) => command.name));
    const app = services.shell
      .commands()
      .filter((spec) => !names.has(spec.syntax))
      .map((spec) => appCommand(spec, [], services.shell));
    return [...builtins, ...app].sort((a, b) => a.name.localeCompare(b.name));
  };
  builtins = builtinCommands({
    board: services.board,
    slots: services.slots,
    uptimeMs: () => services.uptimeMs(),
    roots,
  });
  return new ZephyrShell(roots);
}
