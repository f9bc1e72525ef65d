/**
 * `npm run demo:ble`: the user's DFU story over Bluetooth LE on a virtual esp32_devkitc_wroom.
 * It starts the virtual radio (Bumble's linked controllers on PTYs, scripts/ble/virtual-radio.py),
 * the board as a BLE peripheral on one controller (what `zdfu sim --ble` runs), and drives it with
 * the zdfu CLI whose noble central sits on the other controller. Exits non-zero when a check fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVirtualRadio, type VirtualRadio } from '../../scripts/ble/virtual-radio.ts';
import { type SimHandle, startSim } from '../device/io/sim-host.ts';
import { runStory } from './story.ts';

const write = (text: string) => process.stdout.write(text);
const started = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'zdfu-demo-ble-'));
const [peripheralHci, centralHci] = [join(dir, 'hci0'), join(dir, 'hci1')];
const name = 'zdfu-esp32';

write(
  'zdfu demo: the DFU story over Bluetooth LE on a virtual esp32_devkitc_wroom (MCUboot overwrite-only)\n',
);
let failed = false;
let radio: VirtualRadio | undefined;
let sim: SimHandle | undefined;
try {
  radio = await startVirtualRadio({ ptys: [peripheralHci, centralHci], air: null });
  write(`virtual radio: ${radio.controllers.map((c) => `${c.pty} (${c.public_address})`).join(', ')}\n`);
  sim = await startSim({
    board: 'esp32_devkitc_wroom',
    udp: false,
    baud: 0,
    ble: { hci: { kind: 'uart', path: peripheralHci }, name },
  });
  write(`${sim.readyLine}\n`);
  for (const line of sim.firstBoot.log) write(`  | ${line}\n`);
  const result = await runStory({
    sim,
    write,
    upgrade: 'overwrite',
    before: [['ble', 'scan', '--hci', `uart:${centralHci}`, '--duration', '1.5']],
    profile: ['type=ble', `connstring=peer_name=${name},hci=uart:${centralHci}`],
  });
  const bad = result.checks.filter((c) => !c.ok);
  const one = result.ledRates.find((r) => r.step === 'Binary One flashed')?.hz ?? 0;
  const two = result.ledRates.find((r) => r.step === 'Binary Two confirmed')?.hz ?? 0;
  write(`\nLED0: ${one.toFixed(1)} Hz before the update, ${two.toFixed(1)} Hz after it.\n`);
  // Binary One blinks at 1 Hz, Binary Two at 10 Hz (build/firmware); allow the window's rounding.
  const rateOk = Math.abs(one - 1) < 0.5 && Math.abs(two - 10) < 2;
  if (!rateOk) write('LED0 did not blink at 1 Hz before and 10 Hz after the update.\n');
  if (bad.length > 0) {
    write(`\n${bad.length} of ${result.checks.length} checks did not match the expected slot flags.\n`);
  } else {
    write(`All ${result.checks.length} slot-flag checks match the expected table.\n`);
  }
  failed = bad.length > 0 || !rateOk;
} catch (error) {
  failed = true;
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
} finally {
  await sim?.close();
  await radio?.stop();
  rmSync(dir, { recursive: true, force: true });
}
write(`(${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
// noble's HCI UART binding (serialport, native) stays referenced after it is stopped, so the demo
// ends itself once everything it started has been closed.
process.exit(failed ? 1 : 0);
