/**
 * `npm run demo`: the whole DFU story on a virtual stm32f4_disco, through the zdfu CLI and the
 * real serial stack (a PTY at 115200 baud), checked step by step against the expected slot flags.
 */
import { startSim } from '../device/io/sim-host.ts';
import { runStory } from './story.ts';

const write = (text: string) => process.stdout.write(text);

write('zdfu demo: the DFU story on a virtual stm32f4_disco (MCUboot swap using scratch, RSA-2048)\n');
const sim = await startSim({ udp: '127.0.0.1:0', baud: 115200 });
write(`${sim.readyLine}\n`);
for (const line of sim.firstBoot.log) write(`  | ${line}\n`);

let failed = false;
try {
  const result = await runStory({ sim, write });
  const bad = result.checks.filter((c) => !c.ok);
  const one = result.ledRates.find((r) => r.step === 'Binary One flashed')?.hz ?? 0;
  const two = result.ledRates.find((r) => r.step === 'Binary Two confirmed')?.hz ?? 0;
  write(`\nLED0: ${one.toFixed(1)} Hz before the update, ${two.toFixed(1)} Hz after it.\n`);
  if (bad.length > 0) {
    failed = true;
    write(`\n${bad.length} of ${result.checks.length} checks did not match the expected slot flags.\n`);
  } else {
    write(`All ${result.checks.length} slot-flag checks match the expected table.\n`);
  }
} catch (error) {
  failed = true;
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
} finally {
  await sim.close();
}
process.exitCode = failed ? 1 : 0;
