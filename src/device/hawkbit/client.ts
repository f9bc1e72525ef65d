/**
 * Zephyr's hawkBit client as a subsystem of the virtual board's app (subsys/mgmt/hawkbit/hawkbit.c
 * and the samples/subsys/mgmt/hawkbit app, Zephyr v3.5, where this project's models stand): at
 * start hawkbit_init confirms the running image (erasing slot 1 if it had to) and reads the
 * stored action id; then hawkbit_autohandler probes the server at once and again after every poll
 * sleep. One probe:
 * - refuses to poll while the running image is unconfirmed, and reboots so MCUboot reverts it;
 * - GETs the controller resource as `CONFIG_BOARD-<hwinfo id>`, takes config.polling.sleep;
 * - answers a cancelAction with closed/success feedback, and stops there;
 * - PUTs config data {VIN: device id, hwRevision: "3"} (merge) when the server asks for it;
 * - GETs the deploymentBase: one chunk "bApp" with one artifact under /DEFAULT/controller/v1;
 * - the action id it stored before the reboot: the update is done, closed/success (no proceeding
 *   feedback is ever sent);
 * - else downloads into slot 1 (as img_mgmt writes an upload), checks its sha256, requests a test
 *   upgrade, stores the action id (settings "hawkbit/action_id") and reboots.
 *
 * Where this model goes beyond Zephyr's client (failureFeedback, on by default): Zephyr only logs
 * a refused deployment, a broken download or a hash mismatch (and tries again at the next poll),
 * and after the reboot it reports closed/success on the stored action id alone, even when MCUboot
 * refused the image or reverted it. The virtual board reports those as closed/failure with the
 * reason in words, so a rollout's error threshold sees them; with failureFeedback false it does
 * as Zephyr does. v3.5 keeps the action id in NVS at the start of storage_partition; the virtual
 * board's storage_partition holds LittleFS, so it keeps it as later releases do, in settings.
 * Pure: no Node imports.
 */
import { type DdiArtifact, DdiClient, type DdiDeployment, type DdiFeedback } from '../../fleet/ddi/client.ts';
import { DdiHashError } from '../../fleet/ddi/errors.ts';
import { ImageUploader } from '../../groups/image/server-upload.ts';
import { bytesEqual, toHex } from '../../image/bytes.ts';
import { digest } from '../../image/digest.ts';
import { formatVersion } from '../../image/version.ts';
import { isConfirmed, setConfirmed, setPending } from '../mcuboot/public.ts';
import { SMP_SVR_MOUNT_POINT } from '../server/app-fs.ts';
import type { DeviceServices } from '../server/services.ts';
import type { SettingsHandler } from '../settings/handler.ts';
import { HAWKBIT_POLL_INTERVAL_MS, type HawkbitBuild, type HawkbitEvent } from './build.ts';
import { checkDeployment } from './deployment-check.ts';
import { controllerIdOf, deviceIdentity } from './identity.ts';

/** What the client takes from the app's services. */
export type HawkbitServices = Pick<
  DeviceServices,
  | 'board'
  | 'slots'
  | 'settings'
  | 'settingsInit'
  | 'fs'
  | 'log'
  | 'requestReset'
  | 'onStop'
  | 'flashWork'
  | 'hwinfoId'
  | 'runningVersion'
>;

/** The settings key hawkbit_device_acid_update saves (int32, little-endian as the CPU stores it). */
const ACTION_ID_KEY = 'action_id';
const SUBTREE = 'hawkbit';
const ENOENT = -2;
const EINVAL = -22;
/** flash_img's write buffer (CONFIG_IMG_BLOCK_BUF_SIZE): the download reaches flash in these. */
const WRITE_CHUNK = 512;
/** The hwRevision Zephyr's client sends in its config data. */
const HW_REVISION = '3';

export interface HawkbitClientHandle {
  readonly controllerId: string;
  /** The action id stored in settings, 0 when none. */
  readonly storedActionId: number;
  /** The current poll interval (the server's sleep once one was read), ms as built. */
  readonly pollSleepMs: number;
}

/**
 * Starts the client with the app (hawkbit_init, then hawkbit_autohandler); it stops with the app
 * (a reset or power-off drops its timers and any request in flight).
 */
export function startHawkbitClient(services: HawkbitServices, build: HawkbitBuild): HawkbitClientHandle {
  const client = new HawkbitClient(services, build);
  services.onStop(() => client.stop());
  client.start();
  return client;
}

class HawkbitClient implements HawkbitClientHandle {
  readonly controllerId: string;
  private readonly deviceId: string;
  private readonly ddi: DdiClient;
  private sleepMs: number;
  private actionId = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly services: HawkbitServices,
    private readonly build: HawkbitBuild,
  ) {
    this.deviceId = deviceIdentity(services.hwinfoId);
    this.controllerId = controllerIdOf(services.board.name, services.hwinfoId);
    this.sleepMs = build.pollIntervalMs ?? HAWKBIT_POLL_INTERVAL_MS;
    this.ddi = new DdiClient({
      baseUrl: build.url,
      ...(build.tenant === undefined ? {} : { tenant: build.tenant }),
      auth: build.auth,
      ...(build.timeoutMs === undefined ? {} : { timeoutMs: build.timeoutMs }),
      ...(build.fetch ? { fetch: build.fetch } : {}),
    });
  }

  get storedActionId(): number {
    return this.actionId;
  }

  get pollSleepMs(): number {
    return this.sleepMs;
  }

  start(): void {
    void this.init().then(
      () => this.schedule(0),
      (error: unknown) => {
        this.services.log('err', 'hawkbit', `Failed to init hawkBit: ${messageOf(error)}`);
        this.event('error', `hawkbit_init failed: ${messageOf(error)}`);
      },
    );
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort(new Error('the app stopped (reset or power-off)'));
  }

  /**
   * hawkbit_init: the stored action id, then the running image confirmed (and slot 1 erased).
   * Without storage for the action id (v3.5: nvs_mount fails) it gives up: an update it could not
   * remember across the reboot would be downloaded again and again.
   */
  private async init(): Promise<void> {
    const { settings, slots, board } = this.services;
    settings.register(this.settingsHandler());
    const rc = this.services.settingsInit();
    if (rc !== 0 || !this.hasStorage()) {
      throw new Error(
        `no storage for the action id: ${board.name}'s storage_partition holds no file system (settings init ${rc}), ` +
          'so an update could not be remembered across the reboot; use a board whose storage_partition has at least two erase blocks (e.g. nrf52840dk)',
      );
    }
    settings.load();
    if (this.build.appConfirms === false) return;
    const primary = slots.area(0);
    if (isConfirmed(primary, board.mcuboot.maxAlign)) return;
    await this.services.flashWork(() => {
      setConfirmed(primary, board.mcuboot.maxAlign);
      // boot_erase_img_bank(slot1_partition): the image it came from is no longer needed.
      const secondary = slots.area(1);
      for (const sector of secondary.sectors) {
        if (!secondary.isErased(sector.offset, sector.size)) secondary.erase(sector.offset, sector.size);
      }
    });
    if (this.stopped) return;
    this.services.log('inf', 'hawkbit', 'Current image is confirmed now; slot 1 erased');
    this.event('confirmed', `confirmed ${this.runningText()}`);
  }

  /** The settings backend's file system is mounted (smp_svr's /lfs1 on storage_partition). */
  private hasStorage(): boolean {
    try {
      this.services.fs?.statvfs(SMP_SVR_MOUNT_POINT);
      return this.services.fs !== undefined;
    } catch {
      return false;
    }
  }

  private settingsHandler(): SettingsHandler {
    return {
      name: SUBTREE,
      set: (key, value) => {
        if (key !== ACTION_ID_KEY) return ENOENT;
        if (value.length !== 4) return EINVAL;
        this.actionId = new DataView(value.buffer, value.byteOffset, 4).getInt32(0, true);
        return 0;
      },
      export: (save) => save(`${SUBTREE}/${ACTION_ID_KEY}`, int32le(this.actionId)),
    };
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.probe()
        .catch((error: unknown) => {
          if (!this.stopped) this.event('error', messageOf(error));
        })
        .finally(() => this.schedule(this.sleepMs * (this.build.timeScale ?? 1)));
    }, ms);
  }

  /** hawkbit_probe, then what the autohandler does with its result. */
  private async probe(): Promise<void> {
    if (this.stopped) return;
    const { slots, board } = this.services;
    if (!isConfirmed(slots.area(0), board.mcuboot.maxAlign)) {
      this.services.log('err', 'hawkbit', 'Current image is not confirmed');
      this.services.log('err', 'hawkbit', 'Rebooting to previous confirmed image');
      this.event(
        'unconfirmed',
        `${this.runningText()} is not confirmed: no poll, rebooting so MCUboot reverts it`,
      );
      this.services.requestReset();
      return;
    }
    this.services.log('inf', 'hawkbit', 'Polling target data from hawkBit');
    this.event('poll', `polling as ${this.controllerId}`);
    const poll = await this.ddi.poll(this.controllerId, this.requestOptions());
    if (this.stopped) return;
    if (poll.pollSleepMs > 0) this.sleepMs = poll.pollSleepMs;
    if (poll.cancelHref) {
      await this.cancel(poll.cancelHref);
      return;
    }
    if (poll.configDataRequested) {
      await this.ddi.configData(
        this.controllerId,
        { VIN: this.deviceId, hwRevision: HW_REVISION },
        'merge',
        this.requestOptions(),
      );
      if (this.stopped) return;
      this.event('config-data', `sent config data VIN ${this.deviceId}, hwRevision ${HW_REVISION}`);
    }
    if (!poll.deploymentHref) {
      this.services.log('inf', 'hawkbit', 'No update found');
      this.event('no-update', 'no update');
      return;
    }
    const deployment = await this.ddi.deployment(poll.deploymentHref, this.requestOptions());
    if (this.stopped) return;
    await this.deploy(deployment);
  }

  /** A cancelAction: closed/success (Zephyr v3.5 answers every cancel so), then nothing more. */
  private async cancel(href: string): Promise<void> {
    const actionId = /cancelAction\/([^/?#]+)/.exec(href)?.[1];
    if (actionId === undefined) throw new Error(`the cancelAction link ${href} names no action`);
    await this.ddi.cancelFeedback(
      this.controllerId,
      actionId,
      { execution: 'closed', finished: 'success' },
      this.requestOptions(),
    );
    if (this.stopped) return;
    this.services.log('inf', 'hawkbit', 'hawkBit update cancelled from server');
    this.event('cancelled', `action ${actionId} cancelled by the server`, actionId);
  }

  private async deploy(deployment: DdiDeployment): Promise<void> {
    const { actionId } = deployment;
    const number = Number(actionId);
    if (!/^\d+$/.test(actionId) || number <= 0 || number > 0x7fffffff) {
      await this.fail(
        actionId,
        `the action id "${actionId}" is not a number Zephyr's client can store (1 to 2^31-1)`,
      );
      return;
    }
    const slot1 = this.services.slots.area(1);
    const verdict = checkDeployment(deployment, slot1.size - this.services.slots.imageOffset(1));
    if (!verdict.ok) {
      await this.fail(actionId, `${verdict.reason}; nothing was written`);
      return;
    }
    if (number === this.actionId) {
      await this.reportInstalled(actionId, verdict.artifact);
      return;
    }
    await this.install(actionId, number, verdict.artifact);
  }

  /** Download into slot 1, check, request the test upgrade, store the action id, reboot. */
  private async install(actionId: string, number: number, artifact: DdiArtifact): Promise<void> {
    const { slots, board } = this.services;
    this.services.log('inf', 'hawkbit', 'Ready to install update');
    this.event('download', `downloading ${artifact.filename} (${artifact.size} bytes)`, actionId);
    let image: Uint8Array;
    try {
      image = await this.ddi.download(artifact, { signal: this.abort.signal, maxBytes: artifact.size });
    } catch (error) {
      if (this.stopped) return;
      const why =
        error instanceof DdiHashError
          ? `the downloaded ${artifact.filename} does not match its sha256 (${messageOf(error)})`
          : `the download of ${artifact.filename} broke off: ${messageOf(error)}`;
      await this.fail(actionId, `${why}; nothing was installed`);
      return;
    }
    if (this.stopped) return;
    const written = await this.writeSlot1(image);
    if (this.stopped) return;
    if (written !== undefined) {
      await this.fail(actionId, `${written}; nothing was installed`);
      return;
    }
    // boot_request_upgrade(BOOT_UPGRADE_TEST), then hawkbit_device_acid_update.
    await this.services.flashWork(() => setPending(slots.area(1), false, board.mcuboot.maxAlign));
    if (this.stopped) return;
    this.actionId = number;
    const rc = this.services.settings.saveOne(`${SUBTREE}/${ACTION_ID_KEY}`, int32le(number));
    if (rc !== 0) this.services.log('err', 'hawkbit', `Failed to write device id: ${rc}`);
    this.services.log('inf', 'hawkbit', 'Update installed');
    this.event('installed', `${artifact.filename} in slot 1 for test; rebooting`, actionId);
    this.services.requestReset();
  }

  /**
   * The image into slot 1 through img_mgmt's upload path (same erases and aligned writes, flash
   * time taken), then flash_img_check: the slot's bytes against the artifact's sha256. Returns
   * what went wrong, or undefined.
   */
  private async writeSlot1(image: Uint8Array): Promise<string | undefined> {
    const { slots } = this.services;
    const uploader = new ImageUploader(slots, () => this.services.runningVersion());
    try {
      for (let off = 0; off < image.length; off += WRITE_CHUNK) {
        if (this.stopped) return 'the app stopped';
        const data = image.subarray(off, off + WRITE_CHUNK);
        await this.services.flashWork(() =>
          uploader.handle(off === 0 ? { off, data, len: image.length } : { off, data }),
        );
      }
    } catch (error) {
      return `writing slot 1 failed: ${messageOf(error)}`;
    }
    const start = slots.imageOffset(1);
    const stored = await digest('sha256', slots.area(1).read(start, image.length));
    const wanted = await digest('sha256', image);
    if (!bytesEqual(stored, wanted)) return `slot 1 does not read back as written (sha256 ${toHex(stored)})`;
    return undefined;
  }

  /**
   * The first poll after the reboot offers the stored action again: Zephyr reports closed/success.
   * With failureFeedback, the board first checks that it runs the artifact it downloaded.
   */
  private async reportInstalled(actionId: string, artifact: DdiArtifact): Promise<void> {
    this.services.log('inf', 'hawkbit', `Preventing repeated attempt to install ${actionId}`);
    if (this.build.failureFeedback !== false) {
      const problem = await this.notRunning(artifact);
      if (this.stopped) return;
      if (problem !== undefined) {
        await this.fail(actionId, problem);
        return;
      }
    }
    await this.feedback(actionId, { execution: 'closed', finished: 'success' });
    if (this.stopped) return;
    this.event('success', `running ${this.runningText()}, confirmed: reported closed/success`, actionId);
  }

  /** Why the board does not run `artifact` (slot 0 holds other bytes), or undefined when it does. */
  private async notRunning(artifact: DdiArtifact): Promise<string | undefined> {
    const { slots } = this.services;
    const primary = slots.area(0);
    if (artifact.size > primary.size) return `the artifact is larger than slot 0`;
    const running = await digest('sha256', primary.read(0, artifact.size));
    if (toHex(running) === artifact.sha256.toLowerCase()) return undefined;
    const secondary = slots.area(1);
    const start = slots.imageOffset(1);
    const inSlot1 =
      start + artifact.size <= secondary.size &&
      toHex(await digest('sha256', secondary.read(start, artifact.size))) === artifact.sha256.toLowerCase();
    return inSlot1
      ? `MCUboot reverted to ${this.runningText()}: the new image ${artifact.filename} ran as a test but was never confirmed`
      : `the board still runs ${this.runningText()}: MCUboot did not boot ${artifact.filename} and erased slot 1 (it refused the image, e.g. signed with a key the bootloader does not trust)`;
  }

  /** closed/failure with the reason in words, or (failureFeedback false) only the log line. */
  private async fail(actionId: string, reason: string): Promise<void> {
    this.services.log('err', 'hawkbit', reason);
    if (this.build.failureFeedback !== false) {
      await this.feedback(actionId, { execution: 'closed', finished: 'failure', details: [reason] });
    }
    if (this.stopped) return;
    this.event('failure', reason, actionId);
  }

  private feedback(actionId: string, feedback: DdiFeedback): Promise<void> {
    return this.ddi.feedback(this.controllerId, actionId, feedback, this.requestOptions());
  }

  /** Every request ends when the app stops (the board's sockets go with it). */
  private requestOptions(): { signal: AbortSignal } {
    return { signal: this.abort.signal };
  }

  private runningText(): string {
    const version = this.services.runningVersion();
    return version ? formatVersion(version) : 'an image of unknown version';
  }

  private event(kind: HawkbitEvent['kind'], message: string, actionId?: string): void {
    this.build.onEvent?.(actionId === undefined ? { kind, message } : { kind, message, actionId });
  }
}

function int32le(n: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, n, true);
  return bytes;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
