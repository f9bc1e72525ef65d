/**
 * What the chunked-transfer engine needs from a connected device, whatever SMP command carries
 * the chunks: the link's kind and sizes, the device's buffer parameters (os mcumgr params), one
 * request at a time without retries of its own, and how to read a failure (timeout, request too
 * large, link lost). DeviceClient.transferLink() provides it. Also the request-size arithmetic
 * every transfer shares: the largest request both the link and the device's buffer accept, and
 * how many requests to keep in flight. Pure: no Node imports.
 */
import type { RequestOf, ResponseOf, SmpCommand } from '../../smp/command.ts';
import { bufferBoundWindow } from '../../transport/kinds/kind.ts';
import { findKind } from '../../transport/kinds/registry.ts';
import type { TransportKind } from '../../transport/transport.ts';

export interface DeviceBufferParams {
  /** One SMP buffer (header + CBOR) as reported by os mcumgr params. */
  readonly bufSize: number;
  readonly bufCount: number;
}

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

/**
 * Largest encoded request (header + CBOR) the device's buffer of `deviceBufSize` bytes holds
 * over a link of kind `linkKind`: the kind's descriptor says what its framing keeps in the
 * buffer; a link that is no registered kind (in memory) carries the packet alone.
 */
export function deviceRequestLimit(linkKind: string, deviceBufSize: number): number {
  return findKind(linkKind)?.deviceRequestLimit(deviceBufSize) ?? deviceBufSize;
}

/**
 * Largest encoded request (header + CBOR) both the link and the device accept. `fragmentSize`:
 * the link splits longer requests into writes the device must join (BLE), which a device that
 * does not report its buffers may not do.
 */
export function requestLimit(
  linkMtu: number,
  linkKind: string,
  deviceBufSize: number | undefined,
  fragmentSize?: number,
): number {
  if (deviceBufSize === undefined) {
    // A device that does not report its buffers: the kind's fallback (serial: Zephyr's UART MTU),
    // one write on a splitting link.
    const fallback = findKind(linkKind)?.unreportedRequestLimit ?? fragmentSize;
    return fallback === undefined ? linkMtu : Math.min(linkMtu, fallback);
  }
  return Math.min(linkMtu, deviceRequestLimit(linkKind, deviceBufSize));
}

/**
 * Most requests in flight: what the link's kind allows for the device's buffers
 * (KindDescriptor.pipelineWindow) when each request or answer is up to `messageSize` bytes, 1
 * when the device does not report its buffers.
 */
export function defaultWindow(
  params: DeviceBufferParams | undefined,
  kind: TransportKind,
  messageSize: number,
): number {
  if (params === undefined) return 1;
  const descriptor = findKind(kind);
  return descriptor === undefined
    ? bufferBoundWindow(params.bufCount)
    : descriptor.pipelineWindow(params.bufCount, messageSize);
}
