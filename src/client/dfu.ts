/**
 * The one-shot update: upload (skipped when the slot already holds the image), mark it for test
 * (or permanent), reset, wait for the device to come back, check that the new image runs, and
 * confirm it. Each step reports what it did, so a caller can print or log the story.
 */

import type { ImageStateResponse } from '../smp/groups/image.ts';
import type { CallOptions, DeviceClient } from './device.ts';
import { inspectImage, type UploadOptions, type UploadResult } from './upload.ts';

export type DfuMode = 'test-and-confirm' | 'test-only' | 'permanent';

export interface DfuOptions {
  mode?: DfuMode;
  upload?: UploadOptions;
  /** Per-request options for the state commands. */
  call?: CallOptions;
  /** How long to wait for the device after the reset (swaps on real flash take seconds). */
  rebootTimeoutMs?: number;
  /** Between polls while the device reboots. */
  pollIntervalMs?: number;
  /** How long one poll waits for an answer (a rebooting device answers nothing). */
  pollTimeoutMs?: number;
  onStep?: (step: DfuStep) => void;
  /** Injected for tests: waits `ms`. */
  sleep?: (ms: number) => Promise<void>;
}

export type DfuStep =
  | { kind: 'already-running'; version: string }
  | { kind: 'already-uploaded'; version: string }
  | { kind: 'uploaded'; result: UploadResult }
  | { kind: 'marked'; permanent: boolean }
  | { kind: 'reset' }
  | { kind: 'back'; afterMs: number }
  | { kind: 'confirmed' };

export interface DfuResult {
  version: string;
  hash: Uint8Array;
  /** The slot list at the end. */
  state: ImageStateResponse;
  /** True when the new image runs and is confirmed (or, test-only, runs on trial). */
  running: boolean;
}

export class DfuError extends Error {
  override readonly name = 'DfuError';
}

function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runDfu(
  device: DeviceClient,
  data: Uint8Array,
  options: DfuOptions = {},
): Promise<DfuResult> {
  const mode = options.mode ?? 'test-and-confirm';
  const step = options.onStep ?? (() => undefined);
  const sleep = options.sleep ?? defaultSleep;
  const inspected = inspectImage(data, false);
  if (!inspected.imageHash || !inspected.version) {
    throw new DfuError(
      'the file has no image hash (SHA256 TLV), so its slot could not be found after the upload',
    );
  }
  const hash = inspected.imageHash;
  const version = inspected.version;

  const before = await device.imageList(options.call);
  const running = before.images.find((i) => i.active);
  if (running && sameHash(running.hash, hash)) {
    step({ kind: 'already-running', version });
    if (mode !== 'test-only' && !running.confirmed) {
      await device.imageConfirm(undefined, options.call);
      step({ kind: 'confirmed' });
    }
    return { version, hash, state: await device.imageList(options.call), running: true };
  }

  if (before.images.some((i) => !i.active && sameHash(i.hash, hash))) {
    step({ kind: 'already-uploaded', version });
  } else {
    step({ kind: 'uploaded', result: await device.imageUpload(data, options.upload ?? {}) });
  }

  const permanent = mode === 'permanent';
  if (permanent) await device.imageConfirm(hash, options.call);
  else await device.imageTest(hash, options.call);
  step({ kind: 'marked', permanent });

  await device.reset(options.call);
  step({ kind: 'reset' });
  const state = await waitForDevice(device, options, sleep, step);

  const slot0 = state.images.find((i) => i.active);
  if (!slot0 || !sameHash(slot0.hash, hash)) {
    const now = slot0 ? `version ${slot0.version}` : 'no image';
    throw new DfuError(
      `after the reset the device runs ${now}, not the uploaded ${version}: MCUboot refused or reverted it ` +
        '(see `zdfu image explain` and the device console)',
    );
  }
  if (mode === 'test-and-confirm' && !slot0.confirmed) {
    const confirmed = await device.imageConfirm(undefined, options.call);
    step({ kind: 'confirmed' });
    return { version, hash, state: confirmed, running: true };
  }
  return { version, hash, state, running: true };
}

/**
 * Polls `image list` until the device has rebooted: before the reset the new image is pending;
 * once MCUboot has run, no slot is (it swapped the image in, or refused and dropped it). An answer
 * that still shows a pending slot came from before the reboot (Zephyr answers the reset first and
 * reboots CONFIG_MCUMGR_GRP_OS_RESET_MS later).
 */
async function waitForDevice(
  device: DeviceClient,
  options: DfuOptions,
  sleep: (ms: number) => Promise<void>,
  step: (s: DfuStep) => void,
): Promise<ImageStateResponse> {
  const timeoutMs = options.rebootTimeoutMs ?? 60_000;
  const interval = options.pollIntervalMs ?? 500;
  const started = Date.now();
  let lastError: unknown;
  while (Date.now() - started < timeoutMs) {
    await sleep(interval);
    try {
      const state = await device.imageList({
        ...options.call,
        timeoutMs: Math.min(options.pollTimeoutMs ?? 2000, timeoutMs),
        retries: 0,
      });
      if (state.images.some((i) => i.pending)) continue;
      step({ kind: 'back', afterMs: Date.now() - started });
      return state;
    } catch (error) {
      lastError = error;
    }
  }
  throw new DfuError(
    `the device did not answer within ${Math.round(timeoutMs / 1000)} s after the reset` +
      (lastError instanceof Error ? ` (${lastError.message})` : ''),
  );
}
