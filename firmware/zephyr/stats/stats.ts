/**
 * Statistics (zephyr/stats/stats.h) with STATS_NAMES on: a named group of same-size counters
 * that the SMP stat_mgmt group reports. The counters live in memory the host can read at any
 * time, as the stat handler reads RAM on a real device.
 */
import { type StatsCounters, type StatsSizeBytes, zephyrHost } from '../host.ts';

export const STATS_SIZE_16: StatsSizeBytes = 2;
export const STATS_SIZE_32: StatsSizeBytes = 4;
export const STATS_SIZE_64: StatsSizeBytes = 8;

export interface StatsSection<Field extends string> {
  readonly name: string;
  readonly size: StatsSizeBytes;
  readonly fields: readonly Field[];
  readonly counters: StatsCounters;
}

export function stats_init_and_reg<const Field extends string>(
  name: string,
  size: StatsSizeBytes,
  fields: readonly Field[],
): StatsSection<Field> {
  const counters = zephyrHost().statsRegister(name, size, fields);
  return { name, size, fields, counters };
}

/** Adds `n`, wrapping at the counter's width like the C fields do. */
export function STATS_INCN<Field extends string>(
  section: StatsSection<Field>,
  field: Field,
  n: number,
): void {
  const index = section.fields.indexOf(field);
  if (index < 0) throw new Error(`stats group '${section.name}' has no field '${field}'`);
  // The host may read while we write: atomics keep each read whole.
  if (section.size === STATS_SIZE_64) {
    Atomics.add(section.counters as BigUint64Array, index, BigInt(n));
  } else {
    Atomics.add(section.counters as Uint16Array | Uint32Array, index, n);
  }
}

export function STATS_INC<Field extends string>(section: StatsSection<Field>, field: Field): void {
  STATS_INCN(section, field, 1);
}
