/**
 * The operations users need, over one SmpClient: echo, reset, params, info, image list / test /
 * confirm / erase / upload, stat list / show. Transport-agnostic and pure: the caller supplies
 * how to open a link (Node's serial/UDP in src/cli/transports.ts, Web Serial in a browser).
 */

import {
  type ImageStateResponse,
  imageErase,
  imageStateRead,
  imageStateWrite,
  imageUpload,
} from '../groups/image/models.ts';
import { bootloaderInfo, echo, mcumgrParams, osInfo, reset } from '../groups/os/models.ts';
import { type ShellResult, shellExecute } from '../groups/shell/client.ts';
import { statList, statShow } from '../groups/stat/models.ts';
import type { RequestOf, ResponseOf, SmpCommand } from '../smp/command.ts';
import { SmpError, SmpTimeoutError } from '../smp/errors.ts';
import type { ConnTarget } from '../transport/kinds/kind.ts';
import { LinkError } from '../transport/link-error.ts';
import { ReconnectingTransport } from '../transport/reconnecting.ts';
import type { Transport } from '../transport/transport.ts';
import { RequestTooLargeError, SmpClient } from './client.ts';
import type { SendChunkOptions, SmpTransferLink } from './transfer/link.ts';
import {
  type DeviceBufferParams,
  type SlotImage,
  type UploadChunkRequest,
  type UploadChunkResponse,
  type UploadLink,
  type UploadOptions,
  type UploadResult,
  uploadImage,
} from './upload.ts';

export type TransportOpener = (target: ConnTarget) => Promise<Transport>;

export interface DeviceClientOptions {
  /** SMP header version for requests; the SmpClient default when omitted. */
  version?: 1 | 2;
  /** Default per-request timeout. */
  timeoutMs?: number;
  /** Default retries after a timeout (total tries = retries + 1). */
  retries?: number;
  /** How long a large request may stay unanswered before a small probe checks the device. */
  probeAfterMs?: number;
}

/** Per-call overrides. */
export interface CallOptions {
  timeoutMs?: number;
  retries?: number;
  signal?: AbortSignal;
}

export interface McumgrParams {
  readonly buf_size: number;
  readonly buf_count: number;
}

export type { ShellResult };

export interface StatGroup {
  readonly name: string;
  readonly fields: Record<string, number>;
}

/** MGMT_ERR_ENOTSUP: the device does not implement the command. */
const ENOTSUP = 8;

export class DeviceClient {
  readonly smp: SmpClient;

  constructor(
    readonly transport: Transport,
    options: DeviceClientOptions = {},
  ) {
    this.smp = new SmpClient(transport, options);
  }

  /** Opens the link for `target` with `open` and wraps it. */
  static async connect(
    target: ConnTarget,
    open: TransportOpener,
    options: DeviceClientOptions = {},
  ): Promise<DeviceClient> {
    const transport = await open(target);
    return new DeviceClient(transport, options);
  }

  /** os echo: the device sends the text back. */
  async echo(text: string, options?: CallOptions): Promise<string> {
    const response = await this.smp.request(echo, { d: text }, options);
    return response.r;
  }

  /**
   * os reset. Never retried: the reply can be lost while the device reboots, and a second reset
   * could land on the freshly booted image (e.g. revert a test swap).
   */
  async reset(options: CallOptions & { force?: boolean } = {}): Promise<void> {
    const body = options.force ? { force: true } : {};
    await this.smp.request(reset, body, { ...callOptions(options), retries: 0 });
  }

  async params(options?: CallOptions): Promise<McumgrParams> {
    return this.smp.request(mcumgrParams, {}, options);
  }

  /** os info; `format` as in `uname` letters (s n r v b m p i o a). */
  async osInfo(format?: string, options?: CallOptions): Promise<string> {
    const response = await this.smp.request(osInfo, format === undefined ? {} : { format }, options);
    return response.output;
  }

  /**
   * MCUboot's mode (bootloader-info query "mode"), or undefined when the device's SMP server does
   * not offer bootloader info (Zephyr without CONFIG_MCUMGR_GRP_OS_BOOTLOADER_INFO).
   */
  async bootloaderMode(options?: CallOptions): Promise<number | undefined> {
    try {
      const response = await this.smp.request(bootloaderInfo, { query: 'mode' }, options);
      return response.mode;
    } catch (error) {
      if (error instanceof SmpError && error.detail.kind === 'rc' && error.rc === 8) return undefined;
      throw error;
    }
  }

  async imageList(options?: CallOptions): Promise<ImageStateResponse> {
    return this.smp.request(imageStateRead, {}, options);
  }

  /** Marks the image with `hash` for a test boot on the next reset. */
  async imageTest(hash: Uint8Array, options?: CallOptions): Promise<ImageStateResponse> {
    return this.smp.request(imageStateWrite, { hash, confirm: false }, options);
  }

  /** Confirms the image with `hash`, or the running image when no hash is given. */
  async imageConfirm(hash?: Uint8Array, options?: CallOptions): Promise<ImageStateResponse> {
    const body = hash === undefined ? { confirm: true } : { hash, confirm: true };
    return this.smp.request(imageStateWrite, body, options);
  }

  /** Erases `slot` (absolute slot number) or, by default, the slot that is not running. */
  async imageErase(slot?: number, options?: CallOptions): Promise<void> {
    await this.smp.request(imageErase, slot === undefined ? {} : { slot }, options);
  }

  async statList(options?: CallOptions): Promise<string[]> {
    const response = await this.smp.request(statList, {}, options);
    return response.stat_list;
  }

  async statShow(name: string, options?: CallOptions): Promise<StatGroup> {
    return this.smp.request(statShow, { name }, options);
  }

  /** shell exec (src/groups/shell/client.ts). */
  shellExec(argv: readonly string[], options?: CallOptions): Promise<ShellResult> {
    return shellExecute(this.smp, argv, options);
  }

  /** Uploads an MCUboot image file with the pipelined, resuming upload engine. */
  async imageUpload(data: Uint8Array, options: UploadOptions = {}): Promise<UploadResult> {
    return uploadImage(this.uploadLink(), data, options);
  }

  /** The image upload's view of this device. */
  uploadLink(): UploadLink {
    const link = this.transferLink();
    return {
      ...link,
      sendChunk: (request: UploadChunkRequest, options): Promise<UploadChunkResponse> =>
        link.request(imageUpload, request, options),
      slotImages: async (signal?: AbortSignal): Promise<readonly SlotImage[] | undefined> => {
        try {
          return (await this.imageList(signal === undefined ? {} : { signal })).images;
        } catch (err) {
          // A device without image state read (a bare bootloader) cannot show the slot.
          if (err instanceof SmpError && err.group === undefined && err.rc === ENOTSUP) return undefined;
          throw err;
        }
      },
    };
  }

  /** The chunked-transfer engine's view of this device (fs upload and download use it). */
  transferLink(): SmpTransferLink {
    return {
      kind: this.transport.kind,
      mtu: this.transport.mtu,
      fragmentSize: this.transport.fragmentSize,
      request: <C extends SmpCommand>(
        command: C,
        body: RequestOf<C>,
        options: SendChunkOptions,
      ): Promise<ResponseOf<C>> =>
        this.smp.request(command, body, {
          ...callOptions(options),
          retries: 0,
          detectTooLarge: options.detectTooLarge === true,
        }),
      bufferParams: async (signal?: AbortSignal): Promise<DeviceBufferParams | undefined> => {
        try {
          const params = await this.params(signal === undefined ? {} : { signal });
          return { bufSize: params.buf_size, bufCount: params.buf_count };
        } catch (err) {
          // Devices without the params command answer ENOTSUP; fall back to the link MTU alone.
          if (err instanceof SmpError && err.group === undefined && err.rc === ENOTSUP) return undefined;
          throw err;
        }
      },
      isTimeout: (err: unknown) => err instanceof SmpTimeoutError,
      isTooLarge: (err: unknown) => err instanceof RequestTooLargeError,
      // Only a link that opens again on the next request can carry on after it dropped.
      isLinkLost: (err: unknown) =>
        this.transport instanceof ReconnectingTransport && err instanceof LinkError && !err.closed,
    };
  }

  async close(): Promise<void> {
    await this.smp.close();
  }
}

function callOptions(options: CallOptions | undefined): CallOptions {
  const out: CallOptions = {};
  if (options?.timeoutMs !== undefined) out.timeoutMs = options.timeoutMs;
  if (options?.retries !== undefined) out.retries = options.retries;
  if (options?.signal !== undefined) out.signal = options.signal;
  return out;
}
