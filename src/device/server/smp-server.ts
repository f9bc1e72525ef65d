/**
 * The virtual device's SMP server, following Zephyr's smp.c: several messages may share one
 * transport packet; each gets its own response; processing stops at the first error. Requests are
 * handled one at a time, in arrival order, as Zephyr's SMP work queue does.
 */
import { type CborMap, type CborValue, decodeCbor, encodeCbor, isCborMap } from '../../smp/codec.ts';
import {
  type CommandOp,
  commandKey,
  type DecodedRequestOf,
  decodeRequest,
  encodeResponse,
  type ResponseInputOf,
  type SmpCommand,
} from '../../smp/command.ts';
import { MgmtErr, translateGroupErrorToV1 } from '../../smp/errors.ts';
import { decodeRawHeader, encodeHeader, SMP_HEADER_SIZE, type SmpVersion } from '../../smp/header.ts';
import { SchemaError } from '../../smp/schema.ts';
import { GroupError, MgmtError } from './mgmt-error.ts';

export interface RequestContext {
  /** SMP version of the request header: 1 (legacy) or 2. */
  readonly version: SmpVersion;
}

type Handler<C extends SmpCommand> = (
  request: DecodedRequestOf<C>,
  context: RequestContext,
) => ResponseInputOf<C> | Promise<ResponseInputOf<C>>;

interface Registration {
  readonly command: SmpCommand;
  readonly handle: (request: unknown, context: RequestContext) => unknown;
  readonly onBadRequest: (error: SchemaError) => MgmtError | GroupError;
  readonly readsRequest: boolean;
}

export interface RegisterOptions {
  /** Maps a request that does not decode to the error Zephyr's handler gives (default EINVAL). */
  onBadRequest?: (error: SchemaError) => MgmtError | GroupError;
  /**
   * False for handlers that never look at the request (image list, stat list, params, reset
   * without a hook): Zephyr answers those whatever the payload holds, even zero bytes.
   */
  readsRequest?: boolean;
}

export interface SmpServerOptions {
  /** CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE: a response must fit one buffer. */
  readonly netbufSize: number;
  /** Write responses as indefinite-length maps, as zcbor does without ZCBOR_CANONICAL. */
  readonly indefiniteMaps?: boolean;
  /** Add the handler's reason as "rsn" to v1 errors (CONFIG_MCUMGR_SMP_VERBOSE_ERR_RESPONSE). */
  readonly verboseErrors?: boolean;
  /** Called for every request handled, e.g. to count SMP traffic. */
  readonly onRequest?: (group: number, command: number) => void;
}

/** A group as the server registered it (Zephyr's struct mgmt_group), for the enumeration group. */
export interface RegisteredGroup {
  readonly id: number;
  /** mg_handlers_count: the handler array's length, the highest command id + 1. */
  readonly handlers: number;
}

const OP_READ = 0;
const OP_WRITE = 2;

export class SmpServer {
  private readonly handlers = new Map<string, Registration>();
  /** Group id → highest command id, in the order the groups were first registered. */
  private readonly groupIds = new Map<number, number>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SmpServerOptions) {}

  register<C extends SmpCommand>(command: C, handle: Handler<C>, options: RegisterOptions = {}): void {
    this.groupIds.set(command.group, Math.max(this.groupIds.get(command.group) ?? 0, command.id));
    this.handlers.set(commandKey(command.group, command.id, command.op), {
      command,
      handle: handle as (request: unknown, context: RequestContext) => unknown,
      onBadRequest:
        options.onBadRequest ??
        ((error) => new MgmtError(MgmtErr.EINVAL, `${command.name}: ${error.message}`)),
      readsRequest: options.readsRequest ?? true,
    });
  }

  /** The registered groups in registration order (mgmt_groups_foreach). */
  groups(): RegisteredGroup[] {
    return [...this.groupIds].map(([id, highest]) => ({ id, handlers: highest + 1 }));
  }

  /** Handles one transport packet; resolves to the response packets to send, in order. */
  handlePacket(packet: Uint8Array): Promise<Uint8Array[]> {
    const run = this.queue.then(() => this.process(packet));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async process(packet: Uint8Array): Promise<Uint8Array[]> {
    const responses: Uint8Array[] = [];
    let offset = 0;
    while (offset < packet.length) {
      // Fewer than 8 bytes: the header was never valid, so nothing is answered.
      if (packet.length - offset < SMP_HEADER_SIZE) break;
      const raw = decodeRawHeader(packet, offset);
      const end = offset + SMP_HEADER_SIZE + raw.length;
      const version: SmpVersion = raw.versionBits === 0 ? 1 : 2;
      const reply = (body: CborMap) =>
        this.encodeResponse(version, raw.op === OP_READ ? 1 : 3, raw.group, raw.sequence, raw.command, body);
      if (end > packet.length) {
        responses.push(reply({ rc: MgmtErr.ECORRUPT }));
        break;
      }
      const payload = packet.subarray(offset + SMP_HEADER_SIZE, end);
      offset = end;
      this.options.onRequest?.(raw.group, raw.command);
      const outcome = await this.dispatch(raw.versionBits, raw.op, raw.group, raw.command, payload, version);
      responses.push(reply(outcome.body));
      if (!outcome.ok) break;
    }
    return responses;
  }

  private async dispatch(
    versionBits: number,
    op: number,
    group: number,
    command: number,
    payload: Uint8Array,
    version: SmpVersion,
  ): Promise<{ ok: boolean; body: CborMap }> {
    if (versionBits > 1)
      return this.failure(new MgmtError(MgmtErr.UNSUPPORTED_TOO_NEW, 'SMP version too new'), version);
    const kind: CommandOp | undefined = op === OP_READ ? 'read' : op === OP_WRITE ? 'write' : undefined;
    const registration = kind ? this.handlers.get(commandKey(group, command, kind)) : undefined;
    if (!registration) {
      return this.failure(
        new MgmtError(MgmtErr.ENOTSUP, `no handler for group ${group} command ${command}`),
        version,
      );
    }
    if (!registration.readsRequest) return this.run(registration, {}, version);
    let body: CborValue;
    try {
      body = payload.length === 0 ? null : decodeCbor(payload);
    } catch {
      return this.failure(new MgmtError(MgmtErr.EINVAL, 'request payload is not CBOR'), version);
    }
    // Zephyr's bulk decoder needs at least an empty map.
    if (!isCborMap(body))
      return this.failure(new MgmtError(MgmtErr.EINVAL, 'request payload is not a map'), version);
    let request: unknown;
    try {
      request = decodeRequest(registration.command, body);
    } catch (error) {
      if (error instanceof SchemaError) return this.failure(registration.onBadRequest(error), version);
      throw error;
    }
    return this.run(registration, request, version);
  }

  private async run(
    registration: Registration,
    request: unknown,
    version: SmpVersion,
  ): Promise<{ ok: boolean; body: CborMap }> {
    try {
      const result = await registration.handle(request, { version });
      const encoded = encodeResponse(registration.command, result as never);
      return { ok: true, body: encoded };
    } catch (error) {
      if (error instanceof MgmtError || error instanceof GroupError) return this.failure(error, version);
      return this.failure(
        new MgmtError(MgmtErr.EUNKNOWN, error instanceof Error ? error.message : String(error)),
        version,
      );
    }
  }

  private failure(error: MgmtError | GroupError, version: SmpVersion): { ok: boolean; body: CborMap } {
    // A v2 group error is a handled request (the handler returned 0 after smp_add_cmd_err): no
    // "rsn", and Zephyr goes on with the next message.
    if (error instanceof GroupError && version === 2) {
      return { ok: true, body: { err: { group: error.group, rc: error.rc }, ...error.extra } };
    }
    // Otherwise smp_build_err_rsp: a bare rc (a v1 request gets the group error translated), and
    // processing stops. "rsn" goes out only when built with CONFIG_MCUMGR_SMP_VERBOSE_ERR_RESPONSE
    // and the handler left a reason (MGMT_CTXT_SET_RC_RSN, smp/src/smp.c): in v3.5.0 only the
    // image upload's checks do (img_mgmt.c img_mgmt_upload); every other error is a bare rc.
    // smp.c smp_translate_error_code asks the group registered under that id (mgmt_find_group):
    // none there, MGMT_ERR_EUNKNOWN. A translation to 0 sends the handler's body as it is.
    let rc: number = error.rc;
    if (error instanceof GroupError) {
      rc = this.groupIds.has(error.group) ? translateGroupErrorToV1(error.group, error.rc) : MgmtErr.EUNKNOWN;
      if (rc === MgmtErr.EOK) return { ok: true, body: { err: { group: error.group, rc: error.rc } } };
    }
    const reason = this.options.verboseErrors ? error.reason : undefined;
    return { ok: false, body: reason ? { rc, rsn: reason } : { rc } };
  }

  private encodeResponse(
    version: SmpVersion,
    op: 1 | 3,
    group: number,
    sequence: number,
    command: number,
    body: CborMap,
  ): Uint8Array {
    let payload = encodeCbor(body, { indefinite: this.options.indefiniteMaps ?? true });
    if (SMP_HEADER_SIZE + payload.length > this.options.netbufSize) {
      payload = encodeCbor({ rc: MgmtErr.EMSGSIZE }, { indefinite: this.options.indefiniteMaps ?? true });
    }
    const packet = new Uint8Array(SMP_HEADER_SIZE + payload.length);
    packet.set(encodeHeader({ version, op, flags: 0, length: payload.length, group, sequence, command }), 0);
    packet.set(payload, SMP_HEADER_SIZE);
    return packet;
  }
}
