/** `zdfu ble scan`: the BLE devices in range, their address, signal, and whether they serve SMP. */
import type { Command } from 'commander';
import { parseBleHci } from '../transport/kinds/ble.ts';
import { ConnStringError } from '../transport/kinds/kind.ts';
import { faultOf } from '../util/fault.ts';
import type { ContextFactory } from './conn.ts';
import type { CliContext } from './context.ts';
import { CliError } from './errors.ts';

interface ScanOptions {
  hci: string;
  duration: string;
}

export async function bleScanCommand(ctx: CliContext, opts: ScanOptions): Promise<void> {
  const seconds = Number(opts.duration);
  if (!/^\d+(\.\d+)?$/.test(opts.duration) || seconds <= 0 || seconds > 600)
    throw new CliError(`The scan duration "${opts.duration}" is not a number of seconds in 0..600.`);
  let hci: ReturnType<typeof parseBleHci>;
  try {
    hci = parseBleHci(opts.hci, `hci=${opts.hci}`);
  } catch (err) {
    if (err instanceof ConnStringError)
      throw new CliError(err.message.replace('BLE connstring hci', '--hci'));
    throw err;
  }
  const { openCentral, scanDevices, stopQuietly } = await import('../transport/ble-central.ts');
  let devices: Awaited<ReturnType<typeof scanDevices>>;
  try {
    const noble = await openCentral(hci);
    try {
      devices = await scanDevices(noble, seconds * 1000);
    } finally {
      stopQuietly(noble);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new CliError(why.charAt(0).toUpperCase() + why.slice(1), {
      cause: err,
      fault: faultOf(err) ?? 'local',
    });
  }
  const rows = devices.map((d) => ({
    name: d.name ?? null,
    address: d.address,
    addressType: d.addressType,
    rssi: d.rssi,
    smp: d.smp,
  }));
  const text =
    rows.length === 0
      ? `No BLE device advertised within ${seconds} s.\n`
      : `${['NAME'.padEnd(24), 'ADDRESS'.padEnd(18), 'RSSI'.padStart(5), ' SMP'].join(' ')}\n${rows
          .map((r) =>
            [
              (r.name ?? '(no name)').padEnd(24),
              r.address.padEnd(18),
              String(r.rssi).padStart(5),
              r.smp ? ' yes' : ' no',
            ].join(' '),
          )
          .join('\n')}\n`;
  ctx.emit({ devices: rows }, text);
}

export function registerBleCommands(program: Command, context: ContextFactory): void {
  const ble = program.command('ble').description('Bluetooth LE helpers');
  ble
    .command('scan')
    .description('List BLE devices in range: name, address, RSSI, and whether they serve SMP')
    .option(
      '--hci <controller>',
      'HCI controller: a kernel device number (0) or uart:PATH for an H4 UART',
      '0',
    )
    .option('--duration <seconds>', 'how long to listen', '3')
    .addHelpText('after', '\nExample:\n  zdfu ble scan --hci uart:/dev/ttyACM0 --json')
    .action((opts: ScanOptions, command: Command) => bleScanCommand(context(command), opts));
}
