/**
 * Errors a handler of the virtual device's SMP server raises. They become the response body
 * Zephyr would send: `{"rc": n}` for SMP-level errors, `{"err": {"group", "rc"}}` for group errors
 * (translated to a legacy rc when the request was SMP v1).
 */
import type { CborMap } from '../../smp/codec.ts';
import { MgmtErr } from '../../smp/errors.ts';

/** An SMP-level result (MGMT_ERR_*), like a handler's non-zero return in Zephyr. */
export class MgmtError extends Error {
  constructor(
    readonly rc: MgmtErr,
    message: string,
    /** Zephyr's reason string (MGMT_CTXT_SET_RC_RSN), sent as `rsn` with verbose errors. */
    readonly reason?: string,
  ) {
    super(message);
  }
}

/** A group-specific error (smp_add_cmd_err in Zephyr). */
export class GroupError extends Error {
  constructor(
    readonly group: number,
    readonly rc: number,
    message: string,
    readonly reason?: string,
    /** Keys the handler writes after `err` in a v2 answer (fs upload's expected `len`). */
    readonly extra?: CborMap,
  ) {
    super(message);
  }
}

export { MgmtErr };
