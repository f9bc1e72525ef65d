/**
 * GPIO API (zephyr/drivers/gpio.h): the devicetree spec helpers and the *_dt calls. Flag values
 * match Zephyr's dt-bindings so a spec reads the same as in C.
 */
import { type DtGpio, zephyrHost } from '../host.ts';

export const GPIO_ACTIVE_HIGH = 0;
export const GPIO_ACTIVE_LOW = 1 << 0;
export const GPIO_INPUT = 1 << 16;
export const GPIO_OUTPUT = 1 << 17;
export const GPIO_OUTPUT_INIT_LOW = 1 << 18;
export const GPIO_OUTPUT_INIT_HIGH = 1 << 19;
export const GPIO_OUTPUT_INIT_LOGICAL = 1 << 20;
export const GPIO_OUTPUT_LOW = GPIO_OUTPUT | GPIO_OUTPUT_INIT_LOW;
export const GPIO_OUTPUT_HIGH = GPIO_OUTPUT | GPIO_OUTPUT_INIT_HIGH;
export const GPIO_OUTPUT_INACTIVE = GPIO_OUTPUT | GPIO_OUTPUT_INIT_LOW | GPIO_OUTPUT_INIT_LOGICAL;
export const GPIO_OUTPUT_ACTIVE = GPIO_OUTPUT | GPIO_OUTPUT_INIT_HIGH | GPIO_OUTPUT_INIT_LOGICAL;

const EINVAL = 22;

/** A devicetree node reached through an alias, e.g. DT_ALIAS('led0'). */
export interface DtNode {
  readonly alias: string;
}

export interface GpioDtSpec extends DtGpio {}

export function DT_ALIAS(alias: string): DtNode {
  return { alias };
}

/** Reads the node's `gpios` property; a missing node is a build error in C, a fatal error here. */
export function GPIO_DT_SPEC_GET(node: DtNode, property: 'gpios'): GpioDtSpec {
  const gpio = zephyrHost().dtAliasGpio(node.alias);
  if (gpio === undefined) {
    throw new Error(`devicetree has no alias '${node.alias}' with a '${property}' property`);
  }
  return { port: gpio.port, pin: gpio.pin, flags: gpio.flags };
}

export function gpio_is_ready_dt(spec: GpioDtSpec): boolean {
  return zephyrHost().gpioPortReady(spec.port);
}

/** Like Zephyr, resolves a logical initial level against GPIO_ACTIVE_LOW before the driver sees it. */
export function gpio_pin_configure_dt(spec: GpioDtSpec, extraFlags: number): number {
  let flags = spec.flags | extraFlags;
  if ((flags & GPIO_INPUT) !== 0 && (flags & GPIO_OUTPUT) !== 0) return -EINVAL;
  const initBits = GPIO_OUTPUT_INIT_LOW | GPIO_OUTPUT_INIT_HIGH;
  if (
    (flags & GPIO_OUTPUT_INIT_LOGICAL) !== 0 &&
    (flags & initBits) !== 0 &&
    (flags & GPIO_ACTIVE_LOW) !== 0
  ) {
    flags ^= initBits;
  }
  flags &= ~GPIO_OUTPUT_INIT_LOGICAL;
  return zephyrHost().gpioConfigure(spec.port, spec.pin, flags);
}

/** Sets the logical level: 1 means "active", whatever the wiring. */
export function gpio_pin_set_dt(spec: GpioDtSpec, value: number): number {
  const active = value !== 0;
  const high = (spec.flags & GPIO_ACTIVE_LOW) !== 0 ? !active : active;
  return zephyrHost().gpioSetRaw(spec.port, spec.pin, high ? 1 : 0);
}

export function gpio_pin_toggle_dt(spec: GpioDtSpec): number {
  return zephyrHost().gpioToggle(spec.port, spec.pin);
}
