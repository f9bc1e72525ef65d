/**
 * The request-size arithmetic every transfer shares: the largest request both the link and the
 * device's buffer accept, and how many requests to keep in flight, by the link's kind (its
 * descriptor in src/transport/kinds/). Pure: no Node imports, no package.
 */
import { bufferBoundWindow } from '../../transport/kinds/kind.ts';
import { findKind } from '../../transport/kinds/registry.ts';
import type { TransportKind } from '../../transport/transport.ts';

export interface DeviceBufferParams {
  /** One SMP buffer (header + CBOR) as reported by os mcumgr params. */
  readonly bufSize: number;
  readonly bufCount: number;
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
