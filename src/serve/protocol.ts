/**
 * The wire protocol between a page and `zdfu serve` (the Node bridge to local devices). Pure: no
 * Node imports; the server (./server.ts) and the page (../transport/web/websocket.ts) both use it.
 *
 * One WebSocket per use, at SERVE_WS_PATH on the serve's own origin:
 *   page → serve  {"type":"hello","protocol":1,"token":"…"}   always first, within HELLO_TIMEOUT_MS
 *   serve → page  {"type":"hello","protocol":1,"server":"zdfu 0.1.0"}
 * then either
 *   page → serve  {"type":"list"}          serve → page {"type":"targets","targets":[…]}
 * (listServeTargets; any number of times), or once
 *   page → serve  {"type":"open","target":ID}
 *   serve → page  {"type":"opened","target":ID,"kind":"udp","mtu":1024,"fragmentSize":…}
 * after which the socket *is* that device link:
 *   binary frames, both ways: one whole SMP packet each (8-byte header + CBOR body);
 *   serve → page  {"type":"console","text":…}            text the device printed (serial links)
 *   serve → page  {"type":"link-error","message":…,"closed":bool}   the link failed under us
 *   serve → page  {"type":"closed","reason":…}            the device link is gone; the socket closes
 *   serve → page  {"type":"error","code":…,"message":…}   a request of the page was refused
 * Closing the socket closes the device link, and the serve closes the socket when the link closes.
 * Or, where a gateway feeds the serve its fleet (`zdfu gateway --dashboard`, hello says
 * `"fleet":true`), once `{"type":"fleet"}`, after which the socket carries the fleet's status
 * (./fleet-protocol.ts).
 *
 * Why the token goes in the first message: a browser cannot set headers on a WebSocket, and a
 * query string can end up in logs; the printed URL carries it in the fragment, which never leaves
 * the browser. Refusals the page must be able to explain come as close codes (SERVE_CLOSE) with
 * the words in the close reason (at most 123 bytes by RFC 6455 §5.5).
 */
import * as z from 'zod/mini';
import type { ConnType } from '../transport/kinds/kind.ts';
import { connTypeList, isConnType } from '../transport/kinds/registry.ts';
import { valueAt } from '../util/zod-issues.ts';
import { fleetClientMessage, fleetServerMessage } from './fleet-protocol.ts';

/** Bumped on any change a peer of the other version would misread. */
export const SERVE_PROTOCOL_VERSION = 1;

/** Where the WebSocket listens on the serve's origin. */
export const SERVE_WS_PATH = '/zdfu/ws';

/** How long the serve waits for the page's hello before closing the socket. */
export const HELLO_TIMEOUT_MS = 5000;

/**
 * Largest message either way: the largest SMP packet (8-byte header + a 16-bit length of body),
 * which also bounds every control message (a target list is far smaller).
 */
export const SERVE_MAX_MESSAGE_BYTES = 8 + 0xffff;

/** Close codes (RFC 6455 private range 4000–4999) with fixed words, so a page can say what to do. */
export const SERVE_CLOSE = {
  wrongToken: { code: 4001, reason: 'wrong serve token: copy the URL zdfu serve printed' },
  protocolVersion: { code: 4002, reason: 'zdfu serve protocol version mismatch' },
  originRefused: {
    code: 4003,
    reason: 'zdfu serve refuses pages from this origin (start it with --allow-origin ORIGIN)',
  },
  helloTimeout: { code: 4004, reason: 'no hello from the page in time' },
  badMessage: { code: 4005, reason: 'malformed message' },
  tooManyConnections: { code: 4008, reason: 'zdfu serve has too many open connections' },
  overloaded: { code: 4009, reason: 'the page does not read fast enough: too much queued' },
  deviceClosed: { code: 4010, reason: 'the device link closed' },
  fleetEnded: { code: 4011, reason: 'the gateway stopped sending its fleet status' },
  serveStopping: { code: 1001, reason: 'zdfu serve is stopping' },
} as const;

export type ServeCloseName = keyof typeof SERVE_CLOSE;

/** The close name for a code, if it is one of ours. */
export function serveCloseName(code: number): ServeCloseName | undefined {
  for (const [name, entry] of Object.entries(SERVE_CLOSE)) {
    if (entry.code === code) return name as ServeCloseName;
  }
  return undefined;
}

/** Where a target comes from: a connection profile, a serial port the OS lists, a board serve runs. */
export type ServeTargetSource = ServeTarget['source'];

/** Why the serve refused a request of the page (sent in an `error` message). */
export const SERVE_ERROR_CODES = [
  'bad-message',
  'protocol-version',
  'unknown-target',
  'open-failed',
  'busy',
  'not-open',
  'already-open',
  'list-failed',
  'queue-full',
  'send-failed',
  'no-fleet',
] as const;
export type ServeErrorCode = (typeof SERVE_ERROR_CODES)[number];

const text = z.string().check(z.maxLength(SERVE_MAX_MESSAGE_BYTES));
const positiveInt = z.int().check(z.positive());
const kind = z.custom<ConnType>((value) => typeof value === 'string' && isConnType(value), {
  error: () => `not a connection type zdfu knows (${connTypeList()})`,
});

// Hellos are loose objects (unknown fields ignored), so a later version can add to them and
// still be told its version is wrong rather than that its message is malformed.
const clientHello = z.object({
  type: z.literal('hello'),
  protocol: positiveInt,
  token: z.string().check(z.minLength(1), z.maxLength(256)),
});
const clientList = z.strictObject({ type: z.literal('list') });
const clientOpen = z.strictObject({
  type: z.literal('open'),
  target: z.string().check(z.minLength(1), z.maxLength(4096)),
});

const clientMessage = z.discriminatedUnion('type', [clientHello, clientList, clientOpen, fleetClientMessage]);

const serveTarget = z.strictObject({
  /** What `open` takes: `profile:NAME`, `port:PATH`, `sim:BOARD/udp`, … */
  id: z.string().check(z.minLength(1), z.maxLength(4096)),
  /** The kind of link the serve opens (serial, udp, ble): it sizes the page's requests. */
  kind,
  source: z.enum(['profile', 'port', 'sim']),
  /** Short name for a list: the profile's name, the port's path, the board's name and link. */
  label: z.string().check(z.maxLength(4096)),
  /** One more line: the connstring, the port's maker, the sim's PTY or UDP address. */
  detail: z.string().check(z.maxLength(4096)),
});

/** A device the serve can open for the page. */
export type ServeTarget = Readonly<z.infer<typeof serveTarget>>;

const serverHello = z.object({
  type: z.literal('hello'),
  protocol: positiveInt,
  server: z.string(),
  /** Set when a gateway feeds this serve its fleet status (a page may ask for it: `fleet`). */
  fleet: z.optional(z.boolean()),
});
const serverTargets = z.strictObject({
  type: z.literal('targets'),
  targets: z.array(serveTarget).check(z.maxLength(1024)),
});
const serverOpened = z.strictObject({
  type: z.literal('opened'),
  target: z.string().check(z.minLength(1)),
  kind,
  mtu: positiveInt,
  fragmentSize: z.optional(positiveInt),
});
const serverConsole = z.strictObject({ type: z.literal('console'), text });
const serverLinkError = z.strictObject({ type: z.literal('link-error'), message: text, closed: z.boolean() });
const serverClosed = z.strictObject({ type: z.literal('closed'), reason: text });
const serverError = z.strictObject({
  type: z.literal('error'),
  code: z.enum(SERVE_ERROR_CODES),
  message: text,
});

const serverMessage = z.discriminatedUnion('type', [
  serverHello,
  serverTargets,
  serverOpened,
  serverConsole,
  serverLinkError,
  serverClosed,
  serverError,
  fleetServerMessage,
]);

export type ClientMessage = z.infer<typeof clientMessage>;
export type ServerMessage = z.infer<typeof serverMessage>;

/** One decoded frame: a control message, or (binary) one SMP packet. */
export type Frame<M> = { readonly type: 'packet'; readonly packet: Uint8Array } | M;

/** A frame the other end sent that breaks the protocol; the message names what is wrong. */
export class ServeProtocolError extends Error {
  override readonly name = 'ServeProtocolError';
}

/** Decodes what a page sent (text → control message, binary → packet), or throws naming the fault. */
export function decodeClientFrame(data: string | Uint8Array): Frame<ClientMessage> {
  return decodeFrame(data, clientMessage, 'page');
}

/** Decodes what the serve sent, or throws naming the fault. */
export function decodeServerFrame(data: string | Uint8Array): Frame<ServerMessage> {
  return decodeFrame(data, serverMessage, 'zdfu serve');
}

/** The text frame for a control message. */
export function encodeMessage(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}

function decodeFrame<M>(data: string | Uint8Array, schema: z.ZodMiniType<M>, from: string): Frame<M> {
  if (typeof data !== 'string') {
    if (data.length > SERVE_MAX_MESSAGE_BYTES) {
      throw new ServeProtocolError(
        `${from} sent a binary frame of ${data.length} bytes, over the ${SERVE_MAX_MESSAGE_BYTES}-byte limit`,
      );
    }
    if (data.length < 8) {
      throw new ServeProtocolError(
        `${from} sent a binary frame of ${data.length} bytes: an SMP packet has at least its 8-byte header`,
      );
    }
    return { type: 'packet', packet: data };
  }
  if (data.length > SERVE_MAX_MESSAGE_BYTES) {
    throw new ServeProtocolError(
      `${from} sent a text frame of ${data.length} characters, over the ${SERVE_MAX_MESSAGE_BYTES} limit`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch (error) {
    throw new ServeProtocolError(
      `${from} sent a text frame that is not JSON (${(error as Error).message}): ${preview(data)}`,
    );
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  throw new ServeProtocolError(
    `${from} sent a bad message ${preview(data)}: ${describeIssues(parsed.error, json)}`,
  );
}

/**
 * zod's issues as one line: `field "mtu": expected number, got string; …`. In words of our own:
 * zod/mini carries no message texts (its locales would be most of the page's zod).
 */
function describeIssues(error: z.core.$ZodError, json: unknown): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const where = issue.path.length === 0 ? 'message' : `field "${issue.path.join('.')}"`;
      return `${where}: ${describeIssue(issue, valueAt(json, issue.path))}`;
    })
    .join('; ');
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  const got =
    value === undefined
      ? 'nothing'
      : value === null
        ? 'null'
        : Array.isArray(value)
          ? 'an array'
          : typeof value;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected === 'int' ? 'a whole number' : issue.expected}, got ${got === 'number' ? JSON.stringify(value) : got}`;
    case 'invalid_union':
      // A discriminated union whose `type` matches none of its members.
      return value === undefined ? 'missing' : `unknown value ${JSON.stringify(value)}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${JSON.stringify(value)}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'too_big': {
      const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' entries' : '';
      return `too large (${issue.inclusive === false ? 'less than' : 'at most'} ${issue.maximum}${unit})`;
    }
    case 'too_small':
      if (issue.origin === 'string' && issue.minimum === 1) return 'empty';
      return `${JSON.stringify(value)} is too small (${issue.inclusive === false ? 'more than' : 'at least'} ${issue.minimum})`;
    case 'invalid_format':
      return `not a valid ${issue.format}`;
    default:
      return issue.message;
  }
}

function preview(text: string): string {
  return text.length <= 80 ? text : `${text.slice(0, 77)}...`;
}

/**
 * The page's view of the URL `zdfu serve` prints (`http://127.0.0.1:8117/#token=…`): the serve's
 * origin and the token. Throws naming the fault when the URL is not one.
 */
export function parseServeUrl(printed: string): { url: string; token: string } {
  let url: URL;
  try {
    url = new URL(printed.trim());
  } catch {
    throw new ServeProtocolError(`"${preview(printed)}" is not a URL: copy the URL zdfu serve printed`);
  }
  const token = new URLSearchParams(url.hash.replace(/^#/, '')).get('token');
  if (token === null || token === '') {
    throw new ServeProtocolError(
      `the URL ${url.origin} has no #token=…: copy the whole URL zdfu serve printed, with its token`,
    );
  }
  return { url: url.origin, token };
}

/** The WebSocket address of a serve whose page origin (or any URL on it) is `base`. */
export function serveSocketUrl(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new ServeProtocolError(`"${preview(base)}" is not a URL of zdfu serve (http://127.0.0.1:PORT)`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new ServeProtocolError(`"${preview(base)}" is not an http or ws URL of zdfu serve`);
  }
  return `${url.protocol}//${url.host}${SERVE_WS_PATH}`;
}
