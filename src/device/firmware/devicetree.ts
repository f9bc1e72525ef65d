/**
 * The parts of a board's devicetree the firmware runner needs: the aliases a Zephyr app reaches
 * GPIOs through (`led0`, ...). Flag values are Zephyr's dt-bindings (GPIO_ACTIVE_LOW = 1).
 */
import type { DtGpio } from '../../../firmware/zephyr/host.ts';

export type { DtGpio };

export interface FirmwareDevicetree {
  readonly aliases: Readonly<Record<string, DtGpio>>;
}

const GPIO_ACTIVE_HIGH = 0;

/** STM32F4DISCOVERY (boards/st/stm32f4_disco): the four user LEDs on port D, active high. */
export const STM32F4_DISCO_DEVICETREE: FirmwareDevicetree = {
  aliases: {
    led0: { port: 'gpiod', pin: 12, flags: GPIO_ACTIVE_HIGH }, // green_led_4
    led1: { port: 'gpiod', pin: 13, flags: GPIO_ACTIVE_HIGH }, // orange_led_3
    led2: { port: 'gpiod', pin: 14, flags: GPIO_ACTIVE_HIGH }, // red_led_5
    led3: { port: 'gpiod', pin: 15, flags: GPIO_ACTIVE_HIGH }, // blue_led_6
  },
};
