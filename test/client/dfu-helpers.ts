/** What the runDfu test files share: quick polling, slot lookup, the DfuError a run ends with. */
import { expect } from 'vitest';
import { DfuError, type DfuOptions } from '../../src/client/dfu.ts';
import { getBoard } from '../../src/device/boards/index.ts';

export const fast: DfuOptions = {
  pollIntervalMs: 50,
  pollTimeoutMs: 200,
  rebootTimeoutMs: 5000,
  settleMs: 300,
};

/** stm32f4_disco built with CONFIG_RESET_ON_FATAL_ERROR. */
export const resetOnFatal = { ...getBoard('stm32f4_disco'), app: { resetOnFatalError: true } };

export function slot<T extends { slot: number }>(state: { images: T[] }, n: number): T | undefined {
  return state.images.find((i) => i.slot === n);
}

export async function dfuError(promise: Promise<unknown>): Promise<DfuError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DfuError);
  return error as DfuError;
}
