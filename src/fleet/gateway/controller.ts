/**
 * One device as its own hawkBit controller: it polls for the device, runs the dfu flow when an
 * action is offered, answers cancels, and sends the device's facts as configData. Polling goes on
 * while an update runs, so a cancel is seen during an upload.
 *
 * The DDI sequence follows hawkBit's controller API as Zephyr's client uses it (zephyr:
 * subsys/mgmt/hawkbit/hawkbit.c): poll the base resource, GET the deploymentBase link, download,
 * POST feedback; a cancelAction link is answered on cancelAction/{id}/feedback. Unlike Zephyr's
 * client (which posts no "proceeding"), the gateway reports each stage and the upload's progress:
 * an operator watching hundreds of devices wants to see which ones move.
 *
 * Cancel: hawkBit counts a cancel feedback "closed"+"success" as confirmed and "rejected" as
 * refused (eclipse-hawkbit: DdiRootController.generateActionCancelStatus). Until the image is marked
 * for a test boot nothing is installed, so the gateway stops and confirms; from then on MCUboot
 * swaps at the next reset whatever the gateway does, so it refuses and lets the update finish.
 */

import { describeError } from '../../cli/failure.ts';
import { DeviceClient } from '../../client/device.ts';
import { type DfuResult, type DfuStep, runDfu } from '../../client/dfu.ts';
import type { UploadResult } from '../../client/upload.ts';
import { toHex } from '../../image/bytes.ts';
import { sleepOrAbort, sleepUnlessAborted } from '../../util/timeout.ts';
import type { DdiCancel, DdiClient, DdiDeployment, DdiFeedback } from '../ddi/client.ts';
import { DdiError } from '../ddi/errors.ts';
import type { DevicePhase, StatusBoard } from '../status.ts';
import type { ArtifactCache } from './artifacts.ts';
import { checkImage, chooseArtifact } from './deployment.ts';
import { configDataOf, type DeviceFacts, describeSlots, readDeviceFacts } from './device-facts.ts';
import { JOURNAL_STAGES, type Journal, type JournalEntry, type JournalStage } from './journal.ts';
import { type DfuAttempt, dfuFailure, type Ending, failure, success, unreachable } from './outcome.ts';
import { type GatewayDevice, type GatewayDfuOptions, GatewayError } from './types.ts';
import { type Slots, unlessAborted } from './wait.ts';

/** What every controller of one gateway shares. */
export interface ControllerShared {
  readonly board: StatusBoard;
  readonly journal: Journal;
  readonly cache: ArtifactCache;
  /** Bounds the updates running at once (--parallel). */
  readonly updateSlots: Slots;
  /** Bounds the devices asked for their facts at once. */
  readonly factSlots: Slots;
  readonly pollFloorMs: number;
  readonly progressIntervalMs: number;
  readonly dfu: Required<GatewayDfuOptions>;
  /** Aborted when the gateway closes. */
  readonly closing: AbortSignal;
  readonly log: (line: string) => void;
  readonly now: () => number;
}

/** From this stage on, MCUboot installs the image at the next reset: too late to cancel. */
function pastMarking(stage: JournalStage): boolean {
  return JOURNAL_STAGES.indexOf(stage) >= JOURNAL_STAGES.indexOf('marked');
}

/** The action id in a deploymentBase link (…/deploymentBase/{actionId}?c=…), if it has one. */
export function actionIdOfHref(href: string): string | undefined {
  return /\/deploymentBase\/([^/?#]+)/.exec(href)?.[1];
}

/** What a confirmed cancel says, by the stage the update had reached (before the test mark). */
function cancelledWords(stage: JournalStage): string {
  return stage === 'assigned'
    ? 'cancelled before anything was sent to the device; nothing was installed'
    : `cancelled while ${stage}; the image was not marked for a test boot, so nothing was installed`;
}

/** The reason a cancel aborts an update with. */
class CancelRequested extends Error {
  override readonly name = 'AbortError';
}

interface RunningUpdate {
  readonly actionId: string;
  readonly abort: AbortController;
  stage: JournalStage;
  /** A cancel stopped it: the cancel handler answers hawkBit, not the update. */
  cancelled: boolean;
  done: Promise<void>;
}

export interface PollOutcome {
  /** When to poll next. */
  sleepMs: number;
  /** Why the poll failed, if it did. */
  error?: unknown;
}

export class DeviceController {
  private running: RunningUpdate | undefined;
  private facts: DeviceFacts | undefined;
  private lastSleepMs: number;
  private lastProblem: string | undefined;
  /**
   * Actions this gateway closed lately (result delivered, cancel confirmed). A poll answered just
   * before hawkBit took the result still offers the action; it must not start it again.
   */
  private readonly closed: string[] = [];

  constructor(
    readonly device: GatewayDevice,
    private readonly ddi: DdiClient,
    private readonly shared: ControllerShared,
  ) {
    this.lastSleepMs = shared.pollFloorMs;
    shared.board.add(device.controllerId, device.describe);
  }

  get id(): string {
    return this.device.controllerId;
  }

  /** Polls until the gateway closes, the first time after `firstSleepMs`. */
  async run(firstSleepMs: number): Promise<void> {
    const { closing } = this.shared;
    if (this.facts === undefined) await this.refreshFacts();
    let sleepMs = firstSleepMs;
    while (!closing.aborted) {
      await sleepUnlessAborted(sleepMs, closing);
      if (closing.aborted) break;
      sleepMs = (await this.pollOnce()).sleepMs;
    }
  }

  /** Waits for the update under way to stop (after the gateway closed). */
  async stopped(): Promise<void> {
    await this.running?.done;
  }

  /** One poll and whatever it offers. Never throws: a failure is in the status and the result. */
  async pollOnce(): Promise<PollOutcome> {
    const { closing, pollFloorMs } = this.shared;
    try {
      const poll = await this.ddi.poll(this.id, { signal: closing });
      this.lastSleepMs = Math.max(poll.pollSleepMs, pollFloorMs);
      this.problemSolved();
      if (poll.cancelHref !== undefined) await this.onCancel(poll.cancelHref);
      else if (poll.deploymentHref !== undefined) await this.onDeployment(poll.deploymentHref);
      else this.onNothingOffered();
      if (poll.configDataRequested && this.running === undefined) await this.sendConfigData();
      return { sleepMs: this.lastSleepMs };
    } catch (error) {
      if (!closing.aborted) this.problem(`hawkBit: ${describeError(error)}`);
      return { sleepMs: this.lastSleepMs, error };
    }
  }

  // --- what a poll offers ---------------------------------------------------------------------

  private async onDeployment(href: string): Promise<void> {
    const offered = actionIdOfHref(href);
    // An update under way: nothing to fetch (each GET adds a "retrieved" entry to the action).
    if (this.running && (offered === undefined || offered === this.running.actionId)) return;
    if (offered !== undefined && this.closed.includes(offered)) return;
    const deployment = await this.ddi.deployment(href, { signal: this.shared.closing });
    if (this.running || this.closed.includes(deployment.actionId)) return;
    const entry = this.shared.journal.get(this.id);
    if (entry && entry.actionId !== deployment.actionId) {
      this.abandoned(entry, `hawkBit now offers action ${deployment.actionId} instead`);
    }
    const same = entry?.actionId === deployment.actionId ? entry : undefined;
    if (same?.pending) {
      await this.deliver(deployment.actionId, same.pending);
      return;
    }
    if (deployment.update === 'skip') {
      this.shared.board.update(this.id, {
        phase: 'queued',
        actionId: deployment.actionId,
        error: 'hawkBit says to wait for the maintenance window before installing',
      });
      return;
    }
    this.start(deployment, same);
  }

  private onNothingOffered(): void {
    if (this.running) return;
    const entry = this.shared.journal.get(this.id);
    if (entry)
      this.abandoned(entry, 'hawkBit no longer offers it (it was closed or cancelled on the server)');
  }

  /**
   * A journal entry whose action hawkBit no longer offers: the gateway was stopped mid-update, or
   * stopped after sending a result whose answer it did not see. Say so (status, log) rather than
   * forget it silently.
   */
  private abandoned(entry: JournalEntry, why: string): void {
    const { board, journal, log } = this.shared;
    journal.delete(this.id);
    if (entry.pending !== undefined) {
      // The result went out before the stop; hawkBit closed the action, so it most likely took it.
      const result = entry.pending.details?.[0] ?? entry.pending.finished;
      const failed = entry.pending.finished === 'failure';
      board.update(this.id, {
        phase: failed ? 'failed' : 'done',
        actionId: entry.actionId,
        lastFeedback: entry.pending,
        progress: undefined,
        error: failed ? result : undefined,
      });
      log(`${this.id}: action ${entry.actionId} ended before the restart (${result}); ${why}`);
      return;
    }
    const text = `the gateway stopped while action ${entry.actionId} (${entry.target.name} ${entry.target.version}) was at stage "${entry.stage}", and ${why}`;
    board.update(this.id, { phase: 'failed', actionId: entry.actionId, error: text, progress: undefined });
    log(`${this.id}: ${text}`);
  }

  private async onCancel(href: string): Promise<void> {
    const cancel = await this.ddi.cancelAction(href, { signal: this.shared.closing });
    const { journal } = this.shared;
    const running = this.running;
    if (!running && this.closed.includes(cancel.stopId)) return;
    const marked = (stage: JournalStage) =>
      `the image is already marked for a test boot on ${this.device.describe} (stage "${stage}"), so MCUboot installs it at the reset; the update goes on and reports its result`;
    if (running && running.actionId === cancel.stopId) {
      if (!pastMarking(running.stage)) {
        running.cancelled = true;
        running.abort.abort(new CancelRequested('hawkBit cancelled the action'));
        await running.done;
      }
      // Marked meanwhile (the test mark raced the cancel) or before: MCUboot will install it.
      if (pastMarking(running.stage)) {
        await this.refuseCancel(cancel.actionId, marked(running.stage));
        return;
      }
      await this.confirmCancel(cancel, cancelledWords(running.stage));
      return;
    }
    const entry = journal.get(this.id);
    if (entry?.actionId !== cancel.stopId) {
      await this.confirmCancel(cancel, cancelledWords('assigned'));
      return;
    }
    if (entry.pending !== undefined) {
      // The update ended before hawkBit took its result: an installed image cannot be cancelled.
      const result = entry.pending.details?.[0] ?? entry.pending.finished;
      if (entry.pending.finished === 'success')
        await this.refuseCancel(cancel.actionId, `the update already ended: ${result}`);
      else await this.confirmCancel(cancel, `cancelled; the update had already ended: ${result}`);
      return;
    }
    if (pastMarking(entry.stage)) {
      await this.refuseCancel(cancel.actionId, marked(entry.stage));
      return;
    }
    await this.confirmCancel(cancel, cancelledWords(entry.stage));
  }

  /** Answers a cancel with closed/success: hawkBit marks the action cancelled. */
  private async confirmCancel(cancel: DdiCancel, words: string): Promise<void> {
    const feedback: DdiFeedback = { execution: 'closed', finished: 'success', details: [words] };
    await this.ddi.cancelFeedback(this.id, cancel.actionId, feedback);
    this.rememberClosed(cancel.stopId);
    this.shared.journal.delete(this.id);
    this.shared.board.update(this.id, {
      phase: 'cancelled',
      lastFeedback: feedback,
      progress: undefined,
      error: undefined,
    });
    this.shared.log(`${this.id}: action ${cancel.stopId} cancelled`);
  }

  /** Answers a cancel with "rejected" (once per action): hawkBit keeps the action running. */
  private async refuseCancel(cancelId: string, why: string): Promise<void> {
    const { journal } = this.shared;
    const entry = journal.get(this.id);
    if (entry?.cancelRefused) return;
    const feedback: DdiFeedback = {
      execution: 'rejected',
      finished: 'none',
      details: [`too late to cancel: ${why}`],
    };
    await this.ddi.cancelFeedback(this.id, cancelId, feedback);
    if (entry) journal.set(this.id, { ...entry, cancelRefused: true, updatedAt: this.shared.now() });
    this.shared.log(`${this.id}: refused to cancel action ${cancelId}: ${why}`);
  }

  // --- the update -----------------------------------------------------------------------------

  private start(deployment: DdiDeployment, resumed: JournalEntry | undefined): void {
    const abort = new AbortController();
    const { closing } = this.shared;
    const onClose = () => abort.abort(closing.reason);
    closing.addEventListener('abort', onClose, { once: true });
    const running: RunningUpdate = {
      actionId: deployment.actionId,
      abort,
      stage: resumed?.stage ?? 'assigned',
      cancelled: false,
      done: Promise.resolve(),
    };
    this.running = running;
    running.done = this.update(deployment, running, resumed)
      .catch((error: unknown) => {
        this.shared.log(
          `${this.id}: update of action ${deployment.actionId} stopped: ${describeError(error)}`,
        );
      })
      .finally(() => {
        closing.removeEventListener('abort', onClose);
        if (this.running === running) this.running = undefined;
      });
  }

  private async update(
    deployment: DdiDeployment,
    running: RunningUpdate,
    resumed: JournalEntry | undefined,
  ): Promise<void> {
    const { board, journal, now } = this.shared;
    const { actionId } = deployment;
    const choice = chooseArtifact(deployment);
    const first = deployment.chunks[0];
    const target = choice.ok
      ? { name: choice.chunk.name, version: choice.chunk.version }
      : { name: first?.name ?? '(none)', version: first?.version ?? '' };
    board.update(this.id, { phase: 'queued', actionId, target, progress: undefined, error: undefined });
    const startedAt = resumed?.startedAt ?? now();
    const record = (stage: JournalStage) => {
      // Never backwards: a resumed update that was marked stays marked (cancel stays refused).
      if (JOURNAL_STAGES.indexOf(stage) > JOURNAL_STAGES.indexOf(running.stage)) running.stage = stage;
      const previous = journal.get(this.id);
      journal.set(this.id, {
        actionId,
        stage: running.stage,
        target,
        ...(choice.ok ? { sha256: choice.artifact.sha256 } : {}),
        ...(previous?.actionId === actionId && previous.cancelRefused ? { cancelRefused: true } : {}),
        startedAt,
        updatedAt: now(),
      });
    };
    record(running.stage);
    if (!choice.ok) {
      await this.finish(actionId, failure([`rejected: ${choice.reason}; nothing was installed`]));
      return;
    }
    if (resumed) {
      await this.proceeding(actionId, [
        `resuming on ${this.device.describe}: the gateway was restarted while this update was at stage "${resumed.stage}"`,
      ]);
    }
    const { signal } = running.abort;
    let release: (() => void) | undefined;
    let client: DeviceClient | undefined;
    const attempt: DfuAttempt = { link: this.device.describe, version: target.version, steps: [] };
    const steps: DfuStep['kind'][] = [];
    let progressFeedback: Promise<void> = Promise.resolve();
    let progressInFlight = false;
    let imageHash: string | undefined;
    let uploaded: UploadResult | undefined;
    try {
      release = await this.shared.updateSlots.acquire(signal);
      const { artifact } = choice;
      record('downloading');
      board.update(this.id, { phase: 'downloading' });
      await this.proceeding(actionId, [
        this.shared.cache.has(artifact)
          ? `${artifact.filename} (${artifact.size} bytes) is in the gateway's cache (downloaded once for every device)`
          : `downloading ${artifact.filename} (${artifact.size} bytes)`,
      ]);
      let data: Uint8Array;
      try {
        // Shared by every device of this distribution: only closing the gateway stops the download;
        // a cancel stops this device's wait for it.
        data = await unlessAborted(
          this.shared.cache.get(artifact, () =>
            this.ddi.download(artifact, { signal: this.shared.closing, maxBytes: artifact.size }),
          ),
          signal,
        );
      } catch (error) {
        if (signal.aborted) throw error;
        await this.finish(
          actionId,
          failure([`download failed: ${describeError(error)}; nothing was installed`]),
        );
        return;
      }
      const image = checkImage(artifact, data);
      if (!image.ok) {
        await this.finish(actionId, failure([`rejected: ${image.reason}; nothing was installed`]));
        return;
      }
      attempt.version = image.version;
      imageHash = image.hash;
      record('uploading');
      board.update(this.id, { phase: 'uploading', progress: { sent: 0, total: data.length } });
      try {
        client = await this.openClient(signal);
      } catch (error) {
        if (signal.aborted) throw error;
        await this.finish(actionId, unreachable(this.device.describe, error));
        return;
      }
      await this.proceeding(actionId, [`uploading image ${image.version} to ${this.device.describe}`]);
      let lastProgressAt = now();
      const { dfu } = this.shared;
      const call = { signal, timeoutMs: dfu.requestTimeoutMs };
      const result = await runDfu(client, data, {
        call,
        settleMs: dfu.settleMs,
        rebootTimeoutMs: dfu.rebootTimeoutMs,
        pollIntervalMs: dfu.pollIntervalMs,
        pollTimeoutMs: dfu.pollTimeoutMs,
        sleep: (ms) => sleepOrAbort(ms, signal),
        upload: {
          signal,
          onProgress: (p) => {
            attempt.progress = { sent: p.bytes, total: p.total };
            board.update(this.id, { progress: { sent: p.bytes, total: p.total } });
            if (now() - lastProgressAt < this.shared.progressIntervalMs || p.bytes >= p.total) return;
            lastProgressAt = now();
            // One progress feedback in flight at most: while one waits for hawkBit, others are skipped.
            if (progressInFlight) return;
            progressInFlight = true;
            progressFeedback = this.proceeding(
              actionId,
              [`uploaded ${p.bytes} of ${p.total} bytes to ${this.device.describe}`],
              { cnt: Math.floor((p.bytes * 100) / p.total), of: 100 },
            ).finally(() => {
              progressInFlight = false;
            });
          },
        },
        onStep: (step) => {
          if (step.kind === 'uploaded') uploaded = step.result;
          steps.push(step.kind);
          attempt.steps = steps;
          const phase = this.onStep(step, record);
          if (phase) board.update(this.id, { phase });
        },
      });
      await progressFeedback;
      await this.finish(actionId, this.successOf(result, steps, uploaded), result);
    } catch (error) {
      await progressFeedback;
      // Closing: the journal keeps the stage for the next start. Cancelled: onCancel answers.
      if (this.shared.closing.aborted || running.cancelled) return;
      if (client && steps.includes('back') && !steps.includes('watching')) {
        attempt.inSlots = await this.holdsImage(client, imageHash);
      }
      await this.finish(actionId, dfuFailure(error, attempt));
    } finally {
      release?.();
      await client?.close().catch(() => undefined);
    }
  }

  /** The phase a dfu step moves the device to, recording the stages cancel depends on. */
  private onStep(step: DfuStep, record: (stage: JournalStage) => void): DevicePhase | undefined {
    switch (step.kind) {
      case 'marked':
        record('marked');
        return 'testing';
      case 'reset':
        record('reset');
        return 'resetting';
      case 'back':
      case 'watching':
        return 'testing';
      case 'healthy':
        return 'confirming';
      case 'retry':
        return 'uploading';
      default:
        return undefined;
    }
  }

  private successOf(
    result: DfuResult,
    steps: readonly DfuStep['kind'][],
    uploaded: UploadResult | undefined,
  ): Ending {
    const link = this.device.describe;
    if (steps[0] === 'already-running' && !steps.includes('confirmed')) {
      return success([
        `already installed: ${link} already runs image ${result.version} (confirmed); nothing was sent`,
      ]);
    }
    const how = steps.includes('already-uploaded')
      ? 'the device already held the image, nothing was sent again'
      : steps.includes('already-running')
        ? 'it was already running on trial'
        : uploaded
          ? `sent ${uploaded.sentBytes} bytes in ${(uploaded.elapsedMs / 1000).toFixed(1)} s${
              uploaded.resumedFrom > 0
                ? ` (resumed at byte ${uploaded.resumedFrom} of ${uploaded.total})`
                : ''
            }`
          : 'sent the image';
    return success([
      `installed: ${link} runs image ${result.version}, confirmed`,
      `${how}; steps: ${steps.join(', ')}`,
    ]);
  }

  /** Whether the image (by its hash) is in one of the device's slots; undefined if it cannot tell. */
  private async holdsImage(
    client: DeviceClient,
    imageHash: string | undefined,
  ): Promise<boolean | undefined> {
    if (imageHash === undefined) return undefined;
    try {
      const state = await client.imageList({ timeoutMs: this.shared.dfu.pollTimeoutMs, retries: 1 });
      return state.images.some((i) => toHex(i.hash) === imageHash);
    } catch {
      return undefined;
    }
  }

  /** Records and sends the end of an action; a feedback hawkBit did not take is sent again later. */
  private async finish(actionId: string, ending: Ending, result?: DfuResult): Promise<void> {
    const { board, journal, now, log } = this.shared;
    const entry = journal.get(this.id);
    if (entry)
      journal.set(this.id, { ...entry, stage: 'finishing', pending: ending.feedback, updatedAt: now() });
    const headline = ending.feedback.details?.[0] ?? ending.feedback.finished;
    const running = result?.state.images.find((i) => (i.image ?? 0) === 0 && i.active);
    board.update(this.id, {
      phase: ending.phase,
      lastFeedback: ending.feedback,
      progress: undefined,
      error: ending.phase === 'done' ? undefined : headline,
      ...(running ? { version: running.version, confirmed: running.confirmed } : {}),
    });
    log(`${this.id}: action ${actionId}: ${headline}`);
    await this.deliver(actionId, ending.feedback);
    if (result) await this.sendConfigData(result);
  }

  private async deliver(actionId: string, feedback: DdiFeedback): Promise<void> {
    try {
      await this.ddi.feedback(this.id, actionId, feedback);
      this.rememberClosed(actionId);
      this.shared.journal.delete(this.id);
      this.shared.board.update(this.id, { lastFeedback: feedback });
    } catch (error) {
      if (this.shared.closing.aborted) return;
      if (error instanceof DdiError && error.status === 410) {
        // hawkBit closed the action already (a cancel forced on the server, or an earlier try
        // that did arrive): nothing is left to tell it.
        this.rememberClosed(actionId);
        this.shared.journal.delete(this.id);
        this.shared.log(
          `${this.id}: hawkBit had closed action ${actionId} already; its result stays in the gateway's status`,
        );
        return;
      }
      this.problem(
        `hawkBit did not take the result of action ${actionId} (${describeError(error)}); it is sent again at the next poll`,
      );
    }
  }

  /** A "proceeding" feedback; a failure to send one is logged, not fatal. */
  private async proceeding(actionId: string, details: string[], progress?: DdiFeedback['progress']) {
    const feedback: DdiFeedback = {
      execution: 'proceeding',
      finished: 'none',
      details,
      ...(progress ? { progress } : {}),
    };
    try {
      await this.ddi.feedback(this.id, actionId, feedback);
      this.shared.board.update(this.id, { lastFeedback: feedback });
    } catch (error) {
      if (!this.shared.closing.aborted)
        this.problem(`hawkBit did not take a progress feedback: ${describeError(error)}`);
    }
  }

  // --- the device -----------------------------------------------------------------------------

  /** Opens the device's link, bounded in time; a link that opens too late is closed at once. */
  private async openClient(signal: AbortSignal): Promise<DeviceClient> {
    const { openTimeoutMs, requestTimeoutMs } = this.shared.dfu;
    signal.throwIfAborted();
    const opening = this.device.open();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let gaveUp = false;
    const transport = await Promise.race([
      opening,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          gaveUp = true;
          reject(
            new GatewayError(`opening ${this.device.describe} took longer than ${openTimeoutMs / 1000} s`, {
              fault: 'no-answer',
            }),
          );
        }, openTimeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    void opening.then(
      (late) => {
        if (gaveUp) void late.close();
      },
      () => undefined,
    );
    return new DeviceClient(transport, { timeoutMs: requestTimeoutMs, retries: 1 });
  }

  /** Reads the device's facts for the status and configData; false when it cannot be reached. */
  private async refreshFacts(): Promise<boolean> {
    const { closing, factSlots, board, dfu } = this.shared;
    let release: (() => void) | undefined;
    let client: DeviceClient | undefined;
    try {
      release = await factSlots.acquire(closing);
      client = await this.openClient(closing);
      this.facts = await readDeviceFacts(client, { timeoutMs: dfu.requestTimeoutMs, signal: closing });
      const row = board.get(this.id);
      board.update(this.id, {
        ...(this.facts.board ? { board: this.facts.board } : {}),
        ...(this.facts.version ? { version: this.facts.version, confirmed: this.facts.confirmed } : {}),
        ...(row?.phase === 'gone' && this.running === undefined ? { phase: 'idle', error: undefined } : {}),
      });
      return true;
    } catch (error) {
      if (closing.aborted) return false;
      if (this.running === undefined) {
        board.update(this.id, {
          phase: 'gone',
          error: `cannot reach ${this.device.describe}: ${describeError(error)}`,
        });
      }
      return false;
    } finally {
      release?.();
      await client?.close().catch(() => undefined);
    }
  }

  /** Sends configData: the device's facts (read again unless a dfu result just gave the slots). */
  private async sendConfigData(result?: DfuResult): Promise<void> {
    if (result && this.facts) {
      const running = result.state.images.find((i) => (i.image ?? 0) === 0 && i.active);
      this.facts = {
        ...this.facts,
        slots: describeSlots(result.state),
        ...(running ? { version: running.version, confirmed: running.confirmed } : {}),
      };
    } else if (!(await this.refreshFacts())) {
      return;
    }
    try {
      await this.ddi.configData(this.id, configDataOf(this.facts, this.device.describe), 'merge');
    } catch (error) {
      if (!this.shared.closing.aborted)
        this.problem(`hawkBit did not take the device's configData: ${describeError(error)}`);
    }
  }

  private rememberClosed(actionId: string): void {
    this.closed.push(actionId);
    if (this.closed.length > 8) this.closed.shift();
  }

  // --- problems -------------------------------------------------------------------------------

  /** Shows a problem in the status; logs it once until it changes or is solved. */
  private problem(text: string): void {
    this.shared.board.update(this.id, { error: text });
    if (text !== this.lastProblem) this.shared.log(`${this.id}: ${text}`);
    this.lastProblem = text;
  }

  private problemSolved(): void {
    if (this.lastProblem === undefined) return;
    this.lastProblem = undefined;
    const row = this.shared.board.get(this.id);
    if (row?.phase !== 'failed' && row?.phase !== 'gone')
      this.shared.board.update(this.id, { error: undefined });
  }
}
