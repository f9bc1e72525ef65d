/**
 * The declarative command model: a command is data (group, id, op, name, request and response
 * specs). Client and server both derive encoding, decoding and validation from it.
 */
import type { CborMap, CborValue } from './codec.ts';
import { SmpOp } from './header.ts';
import { type Field, type InputOf, type OutputOf, type Shape, type StructField, struct } from './schema.ts';

export { SmpGroup } from './group-ids.ts';

export type CommandOp = 'read' | 'write';

/** Any field spec, as a constraint: decodes to something, encodes whatever its own type says. */
export type AnyField = Field<unknown, never>;

export interface SmpCommand<Req extends AnyField = AnyField, Rsp extends AnyField = AnyField> {
  readonly group: number;
  readonly id: number;
  readonly op: CommandOp;
  /** Words for messages and logs, e.g. "image upload". */
  readonly name: string;
  readonly request: Req;
  readonly response: Rsp;
}

/** What a caller passes: optional and defaulted keys may be left out. */
export type RequestOf<C extends SmpCommand> = InputOf<C['request']>;
/** What a caller gets back: defaults applied. */
export type ResponseOf<C extends SmpCommand> = OutputOf<C['response']>;
/** What a server handler receives after decoding (defaults applied). */
export type DecodedRequestOf<C extends SmpCommand> = OutputOf<C['request']>;
/** What a server handler returns for encoding. */
export type ResponseInputOf<C extends SmpCommand> = InputOf<C['response']>;

export function defineCommand<Req extends Shape, Rsp extends Shape>(definition: {
  group: number;
  id: number;
  op: CommandOp;
  name: string;
  request: Req;
  response: Rsp;
}): SmpCommand<StructField<Req>, StructField<Rsp>> {
  return Object.freeze({
    group: definition.group,
    id: definition.id,
    op: definition.op,
    name: definition.name,
    request: struct(definition.request),
    response: struct(definition.response),
  });
}

export function requestOp(command: SmpCommand): SmpOp {
  return command.op === 'read' ? SmpOp.Read : SmpOp.Write;
}

function asMap(value: CborValue): CborMap {
  return value as CborMap;
}

/** Client side: validate and encode a request body. Throws SchemaError on a wrong value. */
export function encodeRequest<C extends SmpCommand>(command: C, body: RequestOf<C>): CborMap {
  return asMap(command.request.encode(body as never, ''));
}

/** Client side: validate a response body (the caller has already checked it for rc/err). */
export function decodeResponse<C extends SmpCommand>(command: C, body: CborValue): ResponseOf<C> {
  return command.response.decode(body, '') as ResponseOf<C>;
}

/** Server side: decode a request body with zcbor bulk-decode rules. Throws SchemaError. */
export function decodeRequest<C extends SmpCommand>(command: C, body: CborValue): DecodedRequestOf<C> {
  return command.request.decode(body, '') as DecodedRequestOf<C>;
}

/** Server side: validate and encode a response body. */
export function encodeResponse<C extends SmpCommand>(command: C, body: ResponseInputOf<C>): CborMap {
  return asMap(command.response.encode(body as never, ''));
}

/** Key for looking commands up by what a request header carries. */
export function commandKey(group: number, id: number, op: CommandOp): string {
  return `${group}/${id}/${op}`;
}
