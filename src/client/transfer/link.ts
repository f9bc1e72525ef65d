/**
 * What the chunked-transfer engine needs from a connected device, whatever SMP command carries
 * the chunks: the link's kind and sizes, the device's buffer parameters (os mcumgr params), one
 * request at a time without retries of its own, and how to read a failure (timeout, request too
 * large, link lost). DeviceClient.transferLink() provides it. The request limits every transfer
 * shares live in ./limits.ts. Pure: no Node imports.
 */
import type { RequestOf, ResponseOf, SmpCommand } from '../../smp/command.ts';
import type { TransportKind } from '../../transport/transport.ts';
import type { DeviceBufferParams } from './limits.ts';

export interface SendChunkOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Ask the link to tell a dropped request from a lost device (see TransferLink.isTooLarge). */
  detectTooLarge?: boolean;
}

/** The parts of a device link every transfer uses. */
export interface TransferLink {
  readonly kind: TransportKind;
  /** Largest SMP packet (header + CBOR) one request may be on this link. */
  readonly mtu: number;
  /** Requests longer than this go as several writes the device must join (Transport.fragmentSize). */
  readonly fragmentSize?: number | undefined;
  /** The device's buffer parameters, or undefined when it does not report them. */
  bufferParams?(signal?: AbortSignal): Promise<DeviceBufferParams | undefined>;
  /** True when `err` means "no reply in time" (retryable); anything else ends the transfer. */
  isTimeout(err: unknown): boolean;
  /** True when `err` means the device dropped this request but answers small ones. */
  isTooLarge?(err: unknown): boolean;
  /**
   * True when `err` means the link dropped under the request but the next request opens it again
   * (a BLE link that reconnects, src/transport/reconnecting.ts): the transfer then goes on from
   * what the device confirmed instead of ending.
   */
  isLinkLost?(err: unknown): boolean;
}

/** A transfer link that sends any command (the fs transfers use it). */
export interface SmpTransferLink extends TransferLink {
  /** Sends one request (no retries of its own) and resolves with the device's reply. */
  request<C extends SmpCommand>(
    command: C,
    body: RequestOf<C>,
    options: SendChunkOptions,
  ): Promise<ResponseOf<C>>;
}

export { type DeviceBufferParams, defaultWindow, deviceRequestLimit, requestLimit } from './limits.ts';
