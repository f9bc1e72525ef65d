/**
 * Blinky + stats: one source, two binaries. As Zephyr's samples/basic/blinky, LED0 comes from
 * the devicetree alias `led0` and toggles forever; the Kconfig-style symbol CONFIG_BLINKY_FAST,
 * fixed at build time, picks the period (Binary One: 1 Hz, Binary Two: 10 Hz). Each loop also
 * bumps `counter_stat` in the `smp_server_stats` group that `mcumgr stat` reads.
 *
 * The rate can be changed without a new image: the app owns the settings subtree `blinky`, and
 * `blinky/rate` (the blink rate in Hz as decimal text, 1 to 50) read at boot by settings_load
 * replaces the build's default. So `settings write blinky/rate 4`, `settings save`, `reset` blinks
 * at 4 Hz; with nothing stored, Binary One blinks at 1 Hz and Binary Two at 10 Hz. The app's own
 * shell command `led rate [HZ]` (reachable over SMP with `shell exec`) prints LED0's rate, or sets
 * it until the next reset.
 */
import {
  DT_ALIAS,
  GPIO_DT_SPEC_GET,
  GPIO_OUTPUT_ACTIVE,
  gpio_is_ready_dt,
  gpio_pin_configure_dt,
  gpio_pin_toggle_dt,
} from '../../zephyr/drivers/gpio.ts';
import { k_msleep, printk } from '../../zephyr/kernel.ts';
import { LOG_ERR, LOG_INF, LOG_MODULE_REGISTER, LOG_WRN } from '../../zephyr/logging/log.ts';
import {
  settings_load,
  settings_register_values,
  settings_subsys_init,
  settings_value,
} from '../../zephyr/settings/settings.ts';
import {
  SHELL_CMD_ARG,
  SHELL_CMD_REGISTER,
  SHELL_STATIC_SUBCMD_SET_CREATE,
  type Shell,
  shell_error,
  shell_print,
} from '../../zephyr/shell/shell.ts';
import { STATS_INC, STATS_SIZE_32, stats_init_and_reg } from '../../zephyr/stats/stats.ts';

/** Set by the build (esbuild `define`), like a Kconfig bool: false for Binary One, true for Two. */
declare const CONFIG_BLINKY_FAST: boolean;

/** The build's blink rate; a stored `blinky/rate` overrides it. */
const DEFAULT_RATE_HZ = CONFIG_BLINKY_FAST ? 10 : 1;
const MIN_RATE_HZ = 1;
const MAX_RATE_HZ = 50;
/** The rates `led rate` accepts until the next reset: from one blink in ten seconds to a 5 ms toggle. */
const SHELL_MIN_RATE_HZ = 0.1;
const SHELL_MAX_RATE_HZ = 100;
const EINVAL = 22;

const log = LOG_MODULE_REGISTER('app');

/** Time between toggles; a full on/off period is twice this. Set at boot; `led rate HZ` changes it. */
let sleepTimeMs = Math.round(1000 / (2 * DEFAULT_RATE_HZ));

/** The stored rate if there is a valid one, else the build's default (a bad one is logged). */
async function blinkRateHz(): Promise<number> {
  let rc = await settings_subsys_init();
  if (rc !== 0) {
    LOG_ERR(log, 'settings init failed (%d); blinking at the default rate', rc);
    return DEFAULT_RATE_HZ;
  }
  const values = settings_register_values('blinky', [{ name: 'rate', maxLen: 8 }]);
  rc = await settings_load();
  if (rc !== 0) LOG_ERR(log, 'settings load failed (%d)', rc);
  const stored = settings_value(values, 'rate');
  if (stored === undefined) return DEFAULT_RATE_HZ;
  // The app's realm has no TextDecoder; the value is ASCII digits.
  const text = String.fromCharCode(...stored);
  const rate = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(rate >= MIN_RATE_HZ && rate <= MAX_RATE_HZ)) {
    LOG_WRN(
      log,
      'blinky/rate "%s" is not %d to %d Hz; using %d Hz',
      text,
      MIN_RATE_HZ,
      MAX_RATE_HZ,
      DEFAULT_RATE_HZ,
    );
    return DEFAULT_RATE_HZ;
  }
  return rate;
}

function rateText(): string {
  return (1000 / (2 * sleepTimeMs)).toFixed(1);
}

/** `led rate`: prints LED0's rate; `led rate HZ` sets it (the next toggle uses the new period). */
function cmdLedRate(sh: Shell, argc: number, argv: readonly string[]): number {
  if (argc > 1) {
    const hz = Number(argv[1]);
    if (!Number.isFinite(hz) || hz < SHELL_MIN_RATE_HZ || hz > SHELL_MAX_RATE_HZ) {
      shell_error(
        sh,
        'invalid rate: %s (expected %s to %s Hz)',
        argv[1] ?? '',
        String(SHELL_MIN_RATE_HZ),
        String(SHELL_MAX_RATE_HZ),
      );
      return -EINVAL;
    }
    sleepTimeMs = Math.round(1000 / (2 * hz));
    LOG_INF(log, 'LED0 rate set to %s Hz', rateText());
  }
  shell_print(sh, 'LED0: %s Hz (toggles every %d ms)', rateText(), sleepTimeMs);
  return 0;
}

export async function main(): Promise<number> {
  const led = GPIO_DT_SPEC_GET(DT_ALIAS('led0'), 'gpios');
  if (!gpio_is_ready_dt(led)) {
    LOG_ERR(log, 'LED0 port %s is not ready', led.port);
    return 0;
  }
  const ret = gpio_pin_configure_dt(led, GPIO_OUTPUT_ACTIVE);
  if (ret < 0) {
    LOG_ERR(log, 'cannot configure LED0 (%d)', ret);
    return 0;
  }

  const smpServerStats = stats_init_and_reg('smp_server_stats', STATS_SIZE_32, ['counter_stat']);
  SHELL_CMD_REGISTER(
    'led',
    SHELL_STATIC_SUBCMD_SET_CREATE(
      SHELL_CMD_ARG('rate', undefined, 'LED0 blink rate: rate [hz]', cmdLedRate, 1, 1),
    ),
    'LED commands',
    undefined,
  );

  const blinkHz = await blinkRateHz();
  sleepTimeMs = Math.round(1000 / (2 * blinkHz));
  LOG_INF(log, 'blinky: LED0 at %s Hz', String(blinkHz));
  printk('blinky: toggling %s pin %d every %d ms\n', led.port, led.pin, sleepTimeMs);

  for (;;) {
    if (gpio_pin_toggle_dt(led) < 0) {
      LOG_ERR(log, 'cannot toggle LED0');
      return 0;
    }
    STATS_INC(smpServerStats, 'counter_stat');
    await k_msleep(sleepTimeMs);
  }
}
