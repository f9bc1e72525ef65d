/**
 * Blinky + stats: one source, two binaries. As Zephyr's samples/basic/blinky, LED0 comes from
 * the devicetree alias `led0` and toggles forever; the Kconfig-style symbol CONFIG_BLINKY_FAST,
 * fixed at build time, picks the period (Binary One: 1 Hz, Binary Two: 10 Hz). Each loop also
 * bumps `counter_stat` in the `smp_server_stats` group that `mcumgr stat` reads.
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
import { LOG_ERR, LOG_INF, LOG_MODULE_REGISTER } from '../../zephyr/logging/log.ts';
import { STATS_INC, STATS_SIZE_32, stats_init_and_reg } from '../../zephyr/stats/stats.ts';

/** Set by the build (esbuild `define`), like a Kconfig bool: false for Binary One, true for Two. */
declare const CONFIG_BLINKY_FAST: boolean;

/** Time between toggles; a full on/off period is twice this. */
const SLEEP_TIME_MS = CONFIG_BLINKY_FAST ? 50 : 500;

const log = LOG_MODULE_REGISTER('app');

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

  const blinkHz = 1000 / (2 * SLEEP_TIME_MS);
  LOG_INF(log, 'blinky: LED0 at %s Hz', String(blinkHz));
  printk('blinky: toggling %s pin %d every %d ms\n', led.port, led.pin, SLEEP_TIME_MS);

  for (;;) {
    if (gpio_pin_toggle_dt(led) < 0) {
      LOG_ERR(log, 'cannot toggle LED0');
      return 0;
    }
    STATS_INC(smpServerStats, 'counter_stat');
    await k_msleep(SLEEP_TIME_MS);
  }
}
