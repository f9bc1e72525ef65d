/** `zdfu sim`: runs a virtual board until Ctrl-C, reachable on a PTY and on UDP. */
import type { Command } from 'commander';
import type { CutInside } from '../device/flash.ts';
import { DEFAULT_UDP } from '../device/io/sim-defaults.ts';
import type { SimOptions } from '../device/io/sim-host.ts';
import { type LinkProfile, LinkProfileError, parseLinkProfile } from '../device/transport/link-shaper.ts';
import { parseBleHci } from '../transport/kinds/ble.ts';
import { ConnStringError } from '../transport/kinds/kind.ts';
import type { ContextFactory } from './conn.ts';
import type { CliContext } from './context.ts';
import { CliError } from './errors.ts';
import { hawkbitServer, type SimHawkbitOptions, simFleetCommand, simHawkbitBuild } from './sim-hawkbit.ts';

interface SimCommandOptions extends SimHawkbitOptions {
  board?: string;
  listBoards?: boolean;
  flash?: string;
  newFlash?: boolean;
  image?: string;
  pty?: string;
  udp: string | false;
  baud: string;
  console?: boolean;
  fast?: boolean;
  link?: string;
  powerCut?: string;
  ble?: boolean;
  bleHci?: string;
  bleName?: string;
  bleMtu?: string;
}

/** The board `zdfu sim` runs unless --board says otherwise. */
const DEFAULT_BOARD = 'stm32f4_disco';

/** How long the board stays without power after a rehearsed power cut. */
const POWER_OFF_MS = 500;

export async function simCommand(ctx: CliContext, opts: SimCommandOptions): Promise<void> {
  if (opts.listBoards) {
    await listBoards(ctx, opts.board ?? DEFAULT_BOARD);
    return;
  }
  if (opts.count !== undefined) {
    await simFleetCommand(ctx, { ...opts });
    return;
  }
  if (opts.fault !== undefined) {
    throw new CliError(
      '--fault shares faults out over a fleet: it goes with --count N (one board: --power-cut).',
    );
  }
  const hawkbit = hawkbitServer(opts);
  const baud = Number(opts.baud);
  if (!Number.isInteger(baud) || baud < 0)
    throw new CliError(`The baud rate "${opts.baud}" is not a whole number.`);
  const cutPlan = opts.powerCut === undefined ? undefined : parsePowerCut(opts.powerCut);
  const powerCut = cutPlan?.operation;
  if (opts.newFlash && opts.flash === undefined) {
    throw new CliError('--new-flash starts a new flash file: give the file with --flash FILE.');
  }
  const ble = simBleOptions(opts);
  const link = simLinkOptions(opts);
  const { startSim } = await import('../device/io/sim-host.ts');
  const sim = await startSim({
    board: opts.board ?? DEFAULT_BOARD,
    flashFile: opts.flash,
    newFlash: opts.newFlash,
    image: opts.image,
    ptyLink: opts.pty,
    udp: opts.udp,
    baud,
    ...(ble ? { ble } : {}),
    ...(link ? { link } : {}),
    ...(hawkbit ? { hawkbit: simHawkbitBuild(ctx, hawkbit) } : {}),
    // As on hardware unless --fast: erases and writes (an upload, a swap) take the board's flash time.
    flashTimeScale: opts.fast ? 0 : 1,
    signal: ctx.io.signal,
    // Armed before the first power-on, so the cut also applies to a swap MCUboot does right then.
    beforePowerOn: (device) => {
      if (powerCut !== undefined) {
        device.armPowerCut(powerCut, POWER_OFF_MS, cutPlan?.inside);
        device.onPowerCut((cut) =>
          ctx.io.stdout.write(
            cutPlan?.inside
              ? `zdfu sim: ${cut.message}, in MCUboot's swap; power back on in ${POWER_OFF_MS / 1000} s\n`
              : `zdfu sim: power cut before flash write or erase ${powerCut} of MCUboot's swap ` +
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
      board: sim.device.board.name,
      pty: sim.ptyPath,
      ptyLink: sim.ptyLink ?? null,
      udp: sim.udp ?? null,
      ble: sim.ble ? { address: sim.ble.address, name: ble?.name ?? sim.device.board.name } : null,
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

/**
 * `--power-cut N`, or `N@F[:SEED]` for a cut inside the N-th operation at fraction F (0 ≤ F < 1)
 * of it (src/device/flash-tear.ts: what a torn write or partial erase leaves, chosen by SEED).
 */
export function parsePowerCut(text: string): { operation: number; inside?: CutInside } {
  const match = /^(\d+)(?:@(\d*\.?\d+)(?::(\d+))?)?$/.exec(text.trim());
  const operation = match ? Number(match[1]) : Number.NaN;
  if (!match || !Number.isInteger(operation) || operation < 1) {
    throw new CliError(
      `The power cut point "${text}" is neither a whole number ≥ 1 nor N@FRACTION[:SEED] (e.g. 50@0.5:7).`,
    );
  }
  if (match[2] === undefined) return { operation };
  const fraction = Number(match[2]);
  if (!(fraction >= 0 && fraction < 1)) {
    throw new CliError(`The power cut point "${text}": the fraction ${match[2]} is not in 0 ≤ F < 1.`);
  }
  return { operation, inside: { fraction, seed: match[3] === undefined ? 1 : Number(match[3]) } };
}

/** `--link`: the UDP network's latency, jitter, loss and reordering, checked before anything starts. */
function simLinkOptions(opts: SimCommandOptions): LinkProfile | undefined {
  if (opts.link === undefined) return undefined;
  if (opts.udp === false) throw new CliError('--link shapes the UDP endpoint, which --no-udp turns off.');
  try {
    return parseLinkProfile(opts.link);
  } catch (err) {
    if (err instanceof LinkProfileError) throw new CliError(err.message);
    throw err;
  }
}

/**
 * `--list-boards`: the built-in boards (and the --board file, when one is given) with their
 * flash devices, MCUboot strategy and radio. Loading them checks them: a bad file is an error.
 */
async function listBoards(ctx: CliContext, board: string): Promise<void> {
  const { builtinBoards, loadBoardFile } = await import('../device/boards/index.ts');
  const { looksLikePath } = await import('../device/boards/load.ts');
  const { summarizeBoard, summaryLines } = await import('../device/boards/summary.ts');
  const all = [...builtinBoards().values()];
  if (looksLikePath(board)) all.push(loadBoardFile(board));
  const summaries = all.map(summarizeBoard);
  ctx.emit({ boards: summaries }, `${summaries.map((s) => summaryLines(s).join('\n')).join('\n')}\n`);
}

/** `--ble` and its companions, checked before anything starts. */
function simBleOptions(opts: SimCommandOptions): SimOptions['ble'] {
  const given = opts.bleHci !== undefined || opts.bleName !== undefined || opts.bleMtu !== undefined;
  if (!opts.ble) {
    if (given) throw new CliError('--ble-hci, --ble-name and --ble-mtu go with --ble.');
    return undefined;
  }
  if (opts.bleHci === undefined)
    throw new CliError(
      '--ble needs the HCI controller: --ble-hci uart:PATH (an H4 UART) or --ble-hci 0 (kernel hci0).',
    );
  let hci: ReturnType<typeof parseBleHci>;
  try {
    hci = parseBleHci(opts.bleHci, opts.bleHci);
  } catch (err) {
    if (err instanceof ConnStringError)
      throw new CliError(err.message.replace('BLE connstring hci', '--ble-hci'));
    throw err;
  }
  let maxAttMtu: number | undefined;
  if (opts.bleMtu !== undefined) {
    maxAttMtu = Number(opts.bleMtu);
    if (!/^\d+$/.test(opts.bleMtu) || maxAttMtu < 23 || maxAttMtu > 517)
      throw new CliError(`The ATT MTU "${opts.bleMtu}" is not a whole number in 23..517.`);
  }
  if (opts.bleName !== undefined && (opts.bleName === '' || Buffer.byteLength(opts.bleName) > 29))
    throw new CliError(
      `The BLE name "${opts.bleName}" must be 1 to 29 bytes (it goes into one advertising packet).`,
    );
  return {
    hci,
    ...(opts.bleName === undefined ? {} : { name: opts.bleName }),
    ...(maxAttMtu === undefined ? {} : { maxAttMtu }),
  };
}

export function registerSimCommand(program: Command, context: ContextFactory): void {
  program
    .command('sim')
    .description('Run a virtual board (MCUboot + Zephyr SMP server + blinky) on a PTY and on UDP')
    .option(
      '--board <name|file>',
      'board to simulate: a built-in name (see --list-boards) or a board file (YAML, as in src/device/boards/data); default stm32f4_disco, with --count nrf52840dk',
    )
    .option('--list-boards', 'list the boards with their flash, MCUboot strategy and radio, then exit')
    .option(
      '--flash <file>',
      'keep the flash in this file (restarting the sim is a power cycle); a second flash device goes in FILE.<device>',
    )
    .option('--new-flash', 'start the --flash file as a new, erased flash, replacing what it holds')
    .option('--image <file>', 'signed image to write to slot 0 at start (default: Binary One on a new flash)')
    .option('--pty <path>', 'make PATH a stable symlink to the PTY (refused while a running sim holds it)')
    .option('--udp <host:port>', 'SMP over UDP address', DEFAULT_UDP)
    .option('--no-udp', 'no UDP endpoint')
    .option('--baud <rate>', 'UART line rate to emulate (0 = unpaced)', '115200')
    .option('--console', 'print the device console (MCUboot, Zephyr log) on stdout')
    .option(
      '--link <profile>',
      'shape the UDP link as over Wi-Fi or Thread: latency=40ms,jitter=10ms,loss=1%,reorder=2%,seed=N',
    )
    .option(
      '--fast',
      "take no time for flash erases and writes (the default is the board's flash timing, in uploads and swaps)",
    )
    .option(
      '--power-cut <n[@fraction[:seed]]>',
      "cut power before the n-th flash write or erase of the next swap, even one at start-up, or with @0.5 half-way through it (a torn write or partial erase; :seed picks how the word or sector in flight is left), then power on again: rehearse MCUboot's resume",
    )
    .option(
      '--ble',
      'also serve SMP over Bluetooth LE as a peripheral (boards with a radio: see --list-boards)',
    )
    .option(
      '--ble-hci <controller>',
      'HCI controller for --ble: uart:PATH (an H4 UART, e.g. the virtual radio) or a kernel device number',
    )
    .option('--ble-name <name>', 'advertised name (default: the board name)')
    .option('--ble-mtu <n>', "largest ATT MTU the board accepts (default: the board's, 498)")
    .option(
      '--hawkbit <url>',
      "build the app with Zephyr's hawkBit client polling this server (http://HOST:PORT, tenant DEFAULT)",
    )
    .option('--hawkbit-token <token>', 'DDI target security token (CONFIG_HAWKBIT_DDI_TARGET_SECURITY)')
    .option('--gateway-token <key>', 'DDI gateway security token (CONFIG_HAWKBIT_DDI_GATEWAY_SECURITY)')
    .option(
      '--count <n>',
      'run N boards in this process, each polling --hawkbit itself; a line per board event',
    )
    .option(
      '--fault <plan>',
      'with --count: faults by share, e.g. power-cut-swap=2%,image-refused=1%,link-lost=1%,never-confirms=1%[,seed=N]',
    )
    .action((opts: SimCommandOptions, command: Command) => simCommand(context(command), opts));
}
