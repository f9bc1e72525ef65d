/** `zdfu sim`: runs a virtual board until Ctrl-C, reachable on a PTY and on UDP. */
import type { Command } from 'commander';
import { DEFAULT_UDP } from '../device/io/sim-defaults.ts';
import type { ContextFactory } from './conn.ts';
import type { CliContext } from './context.ts';
import { CliError } from './errors.ts';

interface SimCommandOptions {
  board: string;
  flash?: string;
  newFlash?: boolean;
  image?: string;
  pty?: string;
  udp: string | false;
  baud: string;
  console?: boolean;
  realtimeFlash?: boolean;
  powerCut?: string;
}

/** How long the board stays without power after a rehearsed power cut. */
const POWER_OFF_MS = 500;

export async function simCommand(ctx: CliContext, opts: SimCommandOptions): Promise<void> {
  const baud = Number(opts.baud);
  if (!Number.isInteger(baud) || baud < 0)
    throw new CliError(`The baud rate "${opts.baud}" is not a whole number.`);
  const powerCut = opts.powerCut === undefined ? undefined : Number(opts.powerCut);
  if (powerCut !== undefined && (!Number.isInteger(powerCut) || powerCut < 1)) {
    throw new CliError(`The power cut point "${opts.powerCut}" is not a whole number ≥ 1.`);
  }
  if (opts.newFlash && opts.flash === undefined) {
    throw new CliError('--new-flash starts a new flash file: give the file with --flash FILE.');
  }
  const { startSim } = await import('../device/io/sim-host.ts');
  const sim = await startSim({
    board: opts.board,
    flashFile: opts.flash,
    newFlash: opts.newFlash,
    image: opts.image,
    ptyLink: opts.pty,
    udp: opts.udp,
    baud,
    flashTimeScale: opts.realtimeFlash ? 1 : 0,
    signal: ctx.io.signal,
    // Armed before the first power-on, so the cut also applies to a swap MCUboot does right then.
    beforePowerOn: (device) => {
      if (powerCut !== undefined) {
        device.armPowerCut(powerCut, POWER_OFF_MS);
        device.onPowerCut((cut) =>
          ctx.io.stdout.write(
            `zdfu sim: power cut before flash write or erase ${powerCut} of MCUboot's swap ` +
              `(${cut.kind} at flash offset 0x${cut.offset.toString(16)}); power back on in ${POWER_OFF_MS / 1000} s\n`,
          ),
        );
        device.onPowerCutMissed((missed) =>
          ctx.io.stdout.write(
            `zdfu sim: the power cut point was not reached: MCUboot's swap took ${missed.flashOps} flash writes ` +
              `and erases, fewer than ${missed.operation}, so nothing was cut (the cut is disarmed). ` +
              `To cut this swap, give --power-cut between 1 and ${missed.flashOps}.\n`,
          ),
        );
      }
      if (opts.console) device.onConsoleLine((line) => ctx.io.stdout.write(`| ${line}\n`));
    },
  });
  ctx.emit(
    {
      board: opts.board,
      pty: sim.ptyPath,
      ptyLink: sim.ptyLink ?? null,
      udp: sim.udp ?? null,
      booted: sim.firstBoot.booted,
    },
    `${sim.readyLine}\n`,
  );
  await new Promise<void>((resolve) => {
    const signal = ctx.io.signal;
    if (!signal) return;
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await sim.close();
}

export function registerSimCommand(program: Command, context: ContextFactory): void {
  program
    .command('sim')
    .description('Run a virtual board (MCUboot + Zephyr SMP server + blinky) on a PTY and on UDP')
    .option('--board <name>', 'board to simulate', 'stm32f4_disco')
    .option('--flash <file>', 'keep the flash in this file (restarting the sim is a power cycle)')
    .option('--new-flash', 'start the --flash file as a new, erased flash, replacing what it holds')
    .option('--image <file>', 'signed image to write to slot 0 at start (default: Binary One on a new flash)')
    .option('--pty <path>', 'make PATH a stable symlink to the PTY (refused while a running sim holds it)')
    .option('--udp <host:port>', 'SMP over UDP address', DEFAULT_UDP)
    .option('--no-udp', 'no UDP endpoint')
    .option('--baud <rate>', 'UART line rate to emulate (0 = unpaced)', '115200')
    .option('--console', 'print the device console (MCUboot, Zephyr log) on stdout')
    .option('--realtime-flash', 'take as long as the real flash would to erase and copy during a swap')
    .option(
      '--power-cut <n>',
      "cut power before the n-th flash write or erase of the next swap, even one at start-up (then power on again): rehearse MCUboot's resume",
    )
    .action((opts: SimCommandOptions, command: Command) => simCommand(context(command), opts));
}
