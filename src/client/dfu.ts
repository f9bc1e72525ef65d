/**
 * The one-shot update: upload (nothing re-sent when the device proves it holds the file), mark it
 * for test (or permanent), reset, wait for the device to come back, watch the new image for a settle
 * time and run the user's health checks, then confirm it; an unhealthy image is left unconfirmed
 * and reset away so MCUboot reverts it. Each step reports what it did, so a caller can print or log
 * the story.
 */

import type { ImageSlotState, ImageStateResponse } from '../groups/image/models.ts';
import { SmpTimeoutError } from '../smp/errors.ts';
import type { Fault } from '../util/fault.ts';
import type { CallOptions, DeviceClient } from './device.ts';
import { describeCheck, type HealthCheck, servesShellGroup, watchHealth } from './dfu-health.ts';
import {
  inspectImage,
  type UploadLink,
  type UploadOptions,
  type UploadResult,
  uploadImage,
} from './upload.ts';

export type DfuMode = 'test-and-confirm' | 'test-only' | 'permanent';

export const DEFAULT_SETTLE_MS = 5_000;

export interface DfuOptions {
  mode?: DfuMode;
  upload?: UploadOptions;
  /** Per-request options for the state commands. */
  call?: CallOptions;
  /** How long to wait for the device after the reset (swaps on real flash take seconds). */
  rebootTimeoutMs?: number;
  /** Between polls while the device reboots, and while the new image settles. */
  pollIntervalMs?: number;
  /** How long one poll waits for an answer (a rebooting device answers nothing). */
  pollTimeoutMs?: number;
  /** How long the new image must keep running before it is confirmed; default 5 s. */
  settleMs?: number;
  /** Checks that must pass after the settle time. */
  checks?: readonly HealthCheck[];
  /** Reset an unhealthy test image away so MCUboot reverts it (default true). */
  revert?: boolean;
  onStep?: (step: DfuStep) => void;
  /** Injected for tests: waits `ms`. */
  sleep?: (ms: number) => Promise<void>;
  /** Injected for tests: a clock in ms. */
  now?: () => number;
}

export type DfuStep =
  | { kind: 'already-running'; version: string }
  /** The device hashed its slot and found this very file there: nothing was sent again. */
  | { kind: 'already-uploaded'; version: string }
  | { kind: 'uploaded'; result: UploadResult }
  | { kind: 'marked'; permanent: boolean }
  | { kind: 'reset' }
  | { kind: 'back'; afterMs: number }
  | { kind: 'watching'; settleMs: number; checks: string[] }
  | { kind: 'healthy'; settledMs: number; passed: readonly string[] }
  | { kind: 'unhealthy'; reason: string }
  | { kind: 'reverting' }
  | { kind: 'reverted'; version: string }
  | { kind: 'retry'; reason: string }
  | { kind: 'confirmed' };

export interface DfuResult {
  version: string;
  hash: Uint8Array;
  /** The slot list at the end. */
  state: ImageStateResponse;
  /** True when the new image runs and is confirmed (or, test-only, runs on trial). */
  running: boolean;
}

/**
 * Why an update did not happen: 'device' when the device refused, reverted or showed an unhealthy
 * image, 'no-answer' when it never came back after the reset, 'local' for a file that cannot be
 * updated with.
 */
/**
 * A DfuError's message is self-contained: it says what happened and what to do, so a caller adds
 * no link advice to it.
 */
export class DfuError extends Error {
  override readonly name = 'DfuError';
  constructor(
    message: string,
    readonly fault: Fault = 'device',
  ) {
    super(message);
  }
}

function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Run {
  readonly device: DeviceClient;
  readonly data: Uint8Array;
  readonly hash: Uint8Array;
  readonly version: string;
  readonly mode: DfuMode;
  readonly options: DfuOptions;
  readonly step: (step: DfuStep) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /** The image to fall back to: what ran before, or the confirmed image in the other slot. */
  readonly fallback: ImageSlotState | undefined;
  /** The image number being updated (0 unless the device has several). */
  readonly image: number;
}

export async function runDfu(
  device: DeviceClient,
  data: Uint8Array,
  options: DfuOptions = {},
): Promise<DfuResult> {
  const mode = options.mode ?? 'test-and-confirm';
  const inspected = inspectImage(data, false);
  if (!inspected.imageHash || !inspected.version) {
    throw new DfuError(
      'the file has no image hash (SHA256 TLV), so its slot could not be found after the upload',
      'local',
    );
  }
  const hash = inspected.imageHash;
  // On a multi-image device (img_mgmt lists each slot with its "image") only the entries of the
  // image being updated count.
  const image = options.upload?.image ?? 0;
  const ofImage = (state: ImageStateResponse) => state.images.filter((i) => (i.image ?? 0) === image);
  const before = await device.imageList(options.call);
  if (
    (options.checks ?? []).some((c) => c.kind === 'shell') &&
    !(await servesShellGroup(device, options.call))
  ) {
    throw new DfuError(
      'the device has no SMP shell group (CONFIG_MCUMGR_GRP_SHELL); --check-shell cannot run. ' +
        'Nothing was uploaded: build the firmware with the shell group, or check with --check-stat instead.',
      'local',
    );
  }
  const running = ofImage(before).find((i) => i.active);
  const fallback =
    running && !sameHash(running.hash, hash)
      ? running
      : ofImage(before).find((i) => !i.active && i.confirmed && !sameHash(i.hash, hash));
  const run: Run = {
    device,
    data,
    hash,
    version: inspected.version,
    mode,
    options,
    step: options.onStep ?? (() => undefined),
    sleep: options.sleep ?? defaultSleep,
    now: options.now ?? (() => Date.now()),
    fallback,
    image,
  };

  if (running && sameHash(running.hash, hash)) {
    run.step({ kind: 'already-running', version: run.version });
    if (mode === 'test-only' || running.confirmed) {
      return { version: run.version, hash, state: await device.imageList(options.call), running: true };
    }
    // On trial from an earlier test boot: the same health rules apply before confirming it.
    return settleAndConfirm(run, run.now(), true);
  }

  let retried = false;
  for (;;) {
    const sent = await uploadOrVerify(run);
    const permanent = mode === 'permanent';
    if (permanent) await device.imageConfirm(hash, options.call);
    else await device.imageTest(hash, options.call);
    run.step({ kind: 'marked', permanent });

    await device.reset(options.call);
    run.step({ kind: 'reset' });
    const { state, backAt } = await waitForDevice(run);

    const slot0 = ofImage(state).find((i) => i.active);
    if (slot0 && sameHash(slot0.hash, hash)) {
      return settleAndConfirm(run, backAt, mode === 'test-and-confirm');
    }
    const refused = !state.images.some((i) => sameHash(i.hash, hash));
    if (refused && !sent && !retried) {
      // The device vouched for the bytes, yet MCUboot refused them: upload the file afresh once
      // (after erasing what is left of the slot) before calling the image bad.
      retried = true;
      run.step({ kind: 'retry', reason: 'MCUboot refused the image the device already held' });
      // img_mgmt_erase numbers slots absolutely: image N's secondary is slot 2N+1.
      await device.imageErase(image === 0 ? undefined : 2 * image + 1, options.call);
      continue;
    }
    throw new DfuError(notRunningMessage(run, slot0, refused));
  }
}

function notRunningMessage(run: Run, slot0: ImageSlotState | undefined, refused: boolean): string {
  const now = slot0 ? `version ${slot0.version}` : 'no image';
  const why = refused
    ? 'MCUboot refused it (it is in no slot any more: its hash, signature or key did not validate)'
    : 'MCUboot reverted it (the device rebooted before the image was confirmed: it probably crashed or reset at start)';
  return `after the reset the device runs ${now}, not the uploaded ${run.version}: ${why}; see \`zdfu image explain\` and the device console`;
}

/**
 * Sends the file unless the device proves it already holds it.
 *
 * `image list` cannot prove a slot complete. Zephyr's img_mgmt_read_info (img_mgmt.c) lists a slot
 * once its header magic is right and a walk of the TLV area finds the SHA256 TLV: the hash is read
 * from that TLV, never computed, and the walk skips TLVs by their length fields up to the end the
 * TLV info header announces. An upload that stopped inside the signature TLV therefore lists with
 * the right version and hash (img_mgmt_state.c adds only trailer flags: pending, confirmed, active,
 * permanent, and bootable from the header), and MCUboot refuses the slot at boot.
 *
 * The upload's first chunk can prove it instead. It carries the file's full SHA-256: while an
 * upload of that sha is still live, Zephyr answers the offset it reached (img_mgmt_upload_inspect in
 * zephyr_img_mgmt.c; the engine resumes from there); with CONFIG_IMG_ENABLE_IMAGE_CHECK,
 * img_mgmt_upload hashes the slot's first `len` bytes and, when they are this file, answers
 * off = len and match = true without erasing anything. Otherwise it erases and the file goes again. So dfu always starts an upload and lets the device decide. What only
 * MCUboot checks (the signature against its keys) shows at boot, where runDfu uploads once more.
 * Returns whether any image bytes had to be sent.
 */
async function uploadOrVerify(run: Run): Promise<boolean> {
  const link = run.device.uploadLink();
  let firstAnswer: number | undefined;
  const watched: UploadLink = {
    ...link,
    sendChunk: async (request, options) => {
      const response = await link.sendChunk(request, options);
      if (request.off === 0 && firstAnswer === undefined) firstAnswer = response.off;
      return response;
    },
  };
  const result = await uploadImage(watched, run.data, run.options.upload ?? {});
  if (firstAnswer === run.data.length && result.match === true) {
    run.step({ kind: 'already-uploaded', version: run.version });
    return false;
  }
  run.step({ kind: 'uploaded', result });
  return true;
}

/**
 * Watches the new image; confirms it when healthy (if `confirm`), else reverts it (or says why it
 * cannot).
 */
async function settleAndConfirm(run: Run, bootedAt: number, confirm: boolean): Promise<DfuResult> {
  const { device, options, hash, version } = run;
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  const checks = options.checks ?? [];
  run.step({ kind: 'watching', settleMs, checks: checks.map(describeCheck) });
  const verdict = await watchHealth(device, hash, bootedAt, {
    image: run.image,
    settleMs,
    pollIntervalMs: options.pollIntervalMs ?? 500,
    pollTimeoutMs: options.pollTimeoutMs ?? 2000,
    checks,
    ...(options.call ? { call: options.call } : {}),
    sleep: run.sleep,
    now: run.now,
  });
  if (verdict.healthy) {
    run.step({ kind: 'healthy', settledMs: verdict.settledMs, passed: verdict.passed });
    if (confirm && run.image !== 0) return confirmOtherImage(run);
    if (confirm) {
      const confirmed = await device.imageConfirm(undefined, options.call);
      run.step({ kind: 'confirmed' });
      return { version, hash, state: confirmed, running: true };
    }
    return { version, hash, state: await device.imageList(options.call), running: true };
  }

  run.step({ kind: 'unhealthy', reason: verdict.reason });
  const head = `image ${version} is not healthy: ${verdict.reason}`;
  if (verdict.running) {
    // MCUboot already went back on its own (the image reset itself before it was confirmed).
    run.step({ kind: 'reverted', version: verdict.running.version });
    throw new DfuError(`${head}. It was not confirmed; MCUboot went back to ${verdict.running.version}.`);
  }
  if (run.mode === 'permanent') {
    throw new DfuError(
      `${head}. It was installed permanently, so MCUboot will not go back: update it with a working image.`,
    );
  }
  const back = run.fallback ? `version ${run.fallback.version}` : 'the previous image';
  if (options.revert === false) {
    throw new DfuError(
      `${head}. It is not confirmed (--no-revert): the next reset makes MCUboot go back to ${back}.`,
    );
  }
  throw new DfuError(`${head}. It was not confirmed; ${await revert(run, back)}`);
}

/**
 * Confirming an image other than the running application: Zephyr's img_mgmt_set_next_boot_slot
 * (img_mgmt_state.c) refuses to confirm the active slot of a non-active image
 * (IMAGE_CONFIRMATION_DENIED) whatever the build, so a test boot of image N cannot be confirmed
 * over SMP. An overwrite-only MCUboot (the nRF5340's network core) leaves nothing to confirm: the
 * image is listed confirmed after the copy. Otherwise the way is `--permanent`.
 */
async function confirmOtherImage(run: Run): Promise<DfuResult> {
  const { device, options, hash, version } = run;
  const state = await device.imageList(options.call);
  const entry = state.images.find((i) => i.active && (i.image ?? 0) === run.image && sameHash(i.hash, hash));
  if (entry?.confirmed) {
    run.step({ kind: 'confirmed' });
    return { version, hash, state, running: true };
  }
  throw new DfuError(
    `image ${run.image} runs ${version} on trial, and Zephyr's image manager does not confirm an image other ` +
      'than the running application (IMAGE_CONFIRMATION_DENIED); it reverts on the next reset. ' +
      `Update image ${run.image} with --permanent instead.`,
  );
}

/** Resets so MCUboot reverts the unconfirmed image, and reports what runs afterwards. */
async function revert(run: Run, back: string): Promise<string> {
  const { device, options, hash } = run;
  const manual = `reset or power-cycle the device; as the image is not confirmed, MCUboot will then go back to ${back}.`;
  run.step({ kind: 'reverting' });
  try {
    await device.reset({ ...options.call, timeoutMs: options.pollTimeoutMs ?? 2000 });
  } catch (error) {
    if (error instanceof SmpTimeoutError) return `the device took no reset (no answer): ${manual}`;
    throw error;
  }
  const timeoutMs = options.rebootTimeoutMs ?? 60_000;
  const started = run.now();
  while (run.now() - started < timeoutMs) {
    await run.sleep(options.pollIntervalMs ?? 500);
    let state: ImageStateResponse;
    try {
      state = await device.imageList({
        ...options.call,
        timeoutMs: Math.min(options.pollTimeoutMs ?? 2000, timeoutMs),
        retries: 0,
      });
    } catch {
      // Rebooting: silence, or whatever a half-started link delivers.
      continue;
    }
    const active = state.images.find((i) => i.active && (i.image ?? 0) === run.image);
    // Until the reboot, the device still answers from the new image.
    if (active && sameHash(active.hash, hash)) continue;
    if (!active) return 'after a reset the device lists no running image; see the device console.';
    run.step({ kind: 'reverted', version: active.version });
    return run.fallback && sameHash(active.hash, run.fallback.hash)
      ? `after a reset MCUboot went back to ${active.version}, which runs again.`
      : `after a reset the device runs version ${active.version}.`;
  }
  return `after the reset the device did not come back with another image within ${Math.round(timeoutMs / 1000)} s; ${manual}`;
}

/**
 * Polls `image list` until the device has rebooted: before the reset the new image is pending;
 * once MCUboot has run, no slot is (it swapped the image in, or refused and dropped it). An answer
 * that still shows a pending slot came from before the reboot (Zephyr answers the reset first and
 * reboots CONFIG_MCUMGR_GRP_OS_RESET_MS later).
 */
async function waitForDevice(run: Run): Promise<{ state: ImageStateResponse; backAt: number }> {
  const { options, device } = run;
  const timeoutMs = options.rebootTimeoutMs ?? 60_000;
  const interval = options.pollIntervalMs ?? 500;
  const started = run.now();
  let lastError: unknown;
  while (run.now() - started < timeoutMs) {
    await run.sleep(interval);
    try {
      const state = await device.imageList({
        ...options.call,
        timeoutMs: Math.max(1, Math.min(options.pollTimeoutMs ?? 2000, timeoutMs - (run.now() - started))),
        retries: 0,
      });
      if (state.images.some((i) => i.pending)) continue;
      const backAt = run.now();
      run.step({ kind: 'back', afterMs: backAt - started });
      return { state, backAt };
    } catch (error) {
      lastError = error;
    }
  }
  const back = run.fallback ? `version ${run.fallback.version}` : 'the previous image';
  const after =
    run.mode === 'permanent'
      ? 'It was marked permanent, so MCUboot will keep it.'
      : `It is not confirmed: a reset or power-cycle makes MCUboot revert it and go back to ${back}.`;
  // The device answered moments before the reset, so the link is fine: no advice about the
  // address or the baud rate belongs here (the CLI appends none to a DfuError).
  throw new DfuError(
    `the device did not answer within ${Math.round(timeoutMs / 1000)} s after the reset` +
      (lastError instanceof Error ? ` (${lastError.message})` : '') +
      `: the new image ${run.version} probably halted at start (a fatal error; see the device console), ` +
      `unless its swap takes longer than that (then raise --reboot-timeout). ${after}`,
    'no-answer',
  );
}
