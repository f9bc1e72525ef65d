/**
 * The link itself failed under the requests: the serial port hung up (unplugged, the simulator
 * stopped), a BLE peer disconnected, or nothing listens at a UDP address (ICMP port unreachable).
 * Requests waiting for a reply fail at once with it instead of running into their timeouts.
 * Pure module: no Node imports.
 */
import type { Fault } from '../util/fault.ts';

export class LinkError extends Error {
  override readonly name = 'LinkError';
  readonly fault: Fault = 'no-answer';
  constructor(
    message: string,
    /** True when the link is gone for good (closed); false when only the requests sent so far failed. */
    readonly closed: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
