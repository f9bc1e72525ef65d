/**
 * The user's DFU story, run through the zdfu CLI layer against a virtual device: every command is
 * printed with its output, the slot flags are checked against what the user saw on real hardware,
 * and LED0's blink rate is measured from the firmware's own GPIO toggles.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/run.ts';
import { blinkyImagePath } from '../device/io/artifacts.ts';
import type { SimHandle } from '../device/io/sim-host.ts';

export interface SlotView {
  version: string;
  flags: string;
}

/** One row of the issue's table: the expected flags of slot 0 and slot 1 (undefined = not listed). */
export interface Expectation {
  step: string;
  slot0: SlotView;
  slot1: SlotView | undefined;
}

export interface StoryOptions {
  sim: SimHandle;
  write: (text: string) => void;
  /** How long LED0 is watched before its rate is reported; 0 skips the measurement. */
  ledWindowMs?: number;
  /** The `conn add vdev ...` arguments after the name (default: the sim's PTY at 115200 baud). */
  profile?: string[];
  /** Commands run before the story (each an argument list), e.g. `ble scan`. */
  before?: string[][];
  /**
   * MCUboot's upgrade mode on the board: 'swap' (swap using scratch, stm32f4_disco: test, revert,
   * test again, confirm) or 'overwrite' (overwrite-only, esp32_devkitc_wroom: the test copies the
   * secondary over the primary, which then counts as confirmed, and nothing is left to revert to;
   * MCUboot boot/bootutil/src/loader.c, MCUBOOT_OVERWRITE_ONLY).
   */
  upgrade?: 'swap' | 'overwrite';
}

export interface StoryResult {
  checks: Array<{ step: string; ok: boolean; detail: string }>;
  ledRates: Array<{ step: string; hz: number }>;
}

interface ImageEntry {
  slot: number;
  version: string;
  hash: string;
  active: boolean;
  confirmed: boolean;
  pending: boolean;
  permanent: boolean;
}

function flagWords(image: ImageEntry): string {
  const words: string[] = [];
  if (image.active) words.push('active');
  if (image.confirmed) words.push('confirmed');
  if (image.pending) words.push('pending');
  if (image.permanent) words.push('permanent');
  return words.join(' ');
}

function describe(view: SlotView | undefined): string {
  return view ? `${view.version} [${view.flags || 'no flags'}]` : '(not listed)';
}

export async function runStory(options: StoryOptions): Promise<StoryResult> {
  const { sim, write } = options;
  const ledWindowMs = options.ledWindowMs ?? 2200;
  const home = mkdtempSync(join(tmpdir(), 'zdfu-demo-'));
  const env = { ZDFU_HOME: home };
  const result: StoryResult = { checks: [], ledRates: [] };
  const consoleLines: string[] = [];
  const stopConsole = sim.device.onConsoleLine((line) => consoleLines.push(line));

  const zdfu = async (args: string[], quiet = false): Promise<string> => {
    let out = '';
    let err = '';
    const code = await runCli(args, {
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: (text: string) => (err += text) },
      env,
    });
    if (!quiet) {
      write(`\n$ zdfu ${args.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ')}\n`);
      write(out);
      if (err) write(err);
    }
    if (code !== 0) throw new Error(`zdfu ${args.join(' ')} failed (exit ${code}): ${err.trim()}`);
    return out;
  };

  const listImages = async (): Promise<ImageEntry[]> =>
    (JSON.parse(await zdfu(['-c', 'vdev', '--json', 'image', 'list'], true)) as { images: ImageEntry[] })
      .images;

  const check = async (expect: Expectation): Promise<void> => {
    const images = await listImages();
    const seen = (slot: number): SlotView | undefined => {
      const image = images.find((i) => i.slot === slot);
      return image ? { version: image.version, flags: flagWords(image) } : undefined;
    };
    const actual = [seen(0), seen(1)];
    const wanted = [expect.slot0, expect.slot1];
    const ok = actual.every((view, i) => describe(view) === describe(wanted[i]));
    const detail = `slot 0: ${describe(actual[0])}, slot 1: ${describe(actual[1])}`;
    result.checks.push({ step: expect.step, ok, detail });
    write(
      `${ok ? '✓' : '✗'} ${expect.step}: ${detail}${ok ? '' : ` — expected slot 0: ${describe(wanted[0])}, slot 1: ${describe(wanted[1])}`}\n`,
    );
  };

  const led = async (step: string): Promise<void> => {
    if (ledWindowMs <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, ledWindowMs));
    const hz = sim.device.firmware?.ledRateHz(ledWindowMs) ?? 0;
    result.ledRates.push({ step, hz });
    write(
      `  LED0 is blinking at ${hz.toFixed(1)} Hz (measured from the firmware's GPIO toggles over ${(ledWindowMs / 1000).toFixed(1)} s)\n`,
    );
  };

  /** Resets through the CLI, waits for the next boot and shows what MCUboot printed. */
  const reset = async (): Promise<void> => {
    consoleLines.length = 0;
    const booted = new Promise<void>((resolve) => {
      const off = sim.device.onBoot(() => {
        off();
        resolve();
      });
    });
    await zdfu(['-c', 'vdev', 'reset']);
    await booted;
    // Give the app a moment to print its first lines.
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const line of consoleLines.filter((l) => /^(I:|E:|W:|\*\*\*|\[)/.test(l))) write(`  | ${line}\n`);
  };

  try {
    const two = blinkyImagePath('blinky-two');
    const profile = options.profile ?? ['type=serial', `connstring=dev=${sim.ptyPath},baud=115200,mtu=256`];
    for (const args of options.before ?? []) await zdfu(args);
    await zdfu(['conn', 'add', 'vdev', ...profile]);
    await zdfu(['-c', 'vdev', 'echo', 'hello']);
    await zdfu(['-c', 'vdev', 'stat', 'list']);
    await zdfu(['-c', 'vdev', 'stat', 'smp_server_stats']);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await zdfu(['-c', 'vdev', 'stat', 'smp_server_stats']);
    await zdfu(['-c', 'vdev', 'image', 'list']);
    await check({
      step: 'Binary One flashed',
      slot0: { version: '1.0.0', flags: 'active confirmed' },
      slot1: undefined,
    });
    await led('Binary One flashed');

    await zdfu(['-c', 'vdev', 'image', 'upload', two]);
    await zdfu(['-c', 'vdev', 'image', 'list']);
    await check({
      step: 'after upload of Two',
      slot0: { version: '1.0.0', flags: 'active confirmed' },
      slot1: { version: '2.0.0', flags: '' },
    });
    const hash = (await listImages()).find((i) => i.slot === 1)?.hash;
    if (!hash) throw new Error('Binary Two is not listed in slot 1 after the upload');

    await zdfu(['-c', 'vdev', 'image', 'test', hash]);
    await check({
      step: 'after image test Two',
      slot0: { version: '1.0.0', flags: 'active confirmed' },
      slot1: { version: '2.0.0', flags: 'pending' },
    });
    await reset();
    if (options.upgrade === 'overwrite') {
      await zdfu(['-c', 'vdev', 'image', 'list']);
      await check({
        step: 'after reset (overwrite)',
        slot0: { version: '2.0.0', flags: 'active confirmed' },
        slot1: undefined,
      });
      await zdfu(['-c', 'vdev', 'image', 'confirm']);
      await zdfu(['-c', 'vdev', 'image', 'list']);
      await check({
        step: 'after image confirm',
        slot0: { version: '2.0.0', flags: 'active confirmed' },
        slot1: undefined,
      });
      await led('Binary Two confirmed');
      return result;
    }
    await zdfu(['-c', 'vdev', 'image', 'list']);
    await check({
      step: 'after reset (swap)',
      slot0: { version: '2.0.0', flags: 'active' },
      slot1: { version: '1.0.0', flags: 'confirmed' },
    });
    await led('Binary Two on test');

    write('\n# Reset again without confirming: MCUboot reverts to Binary One.\n');
    await reset();
    await zdfu(['-c', 'vdev', 'image', 'list']);
    await check({
      step: 'after reset without confirm (revert)',
      slot0: { version: '1.0.0', flags: 'active confirmed' },
      slot1: { version: '2.0.0', flags: '' },
    });
    await led('reverted to Binary One');

    write('\n# Test Binary Two again, and this time confirm it.\n');
    await zdfu(['-c', 'vdev', 'image', 'test', hash]);
    await reset();
    await zdfu(['-c', 'vdev', 'image', 'confirm']);
    await zdfu(['-c', 'vdev', 'image', 'list']);
    await check({
      step: 'after image confirm',
      slot0: { version: '2.0.0', flags: 'active confirmed' },
      slot1: { version: '1.0.0', flags: '' },
    });
    await led('Binary Two confirmed');
  } finally {
    stopConsole();
    rmSync(home, { recursive: true, force: true });
  }
  return result;
}
