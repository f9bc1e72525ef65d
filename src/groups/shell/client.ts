/** The shell group's client call over an SmpClient (Zephyr grp/shell_mgmt): run a command line. */
import type { RequestOptions, SmpClient } from '../../client/client.ts';
import { shellExec } from './models.ts';

export interface ShellResult {
  /** What the command printed (CR LF line ends, as the device's shell writes them). */
  readonly output: string;
  /** The command's return value: 0 for success, else a negative errno such as -8 (ENOEXEC). */
  readonly ret: number;
}

/**
 * shell exec: runs `argv` (joined with spaces into one line, as Zephyr does) in the device's shell.
 * A legacy build that reports the return value as `rc` answers no `ret` on success: that is 0. An
 * empty argv is the device's to refuse (EMPTY_COMMAND).
 */
export async function shellExecute(
  smp: SmpClient,
  argv: readonly string[],
  options?: RequestOptions,
): Promise<ShellResult> {
  const response = await smp.request(shellExec, { argv: [...argv] }, options);
  return { output: response.o, ret: response.ret ?? 0 };
}
