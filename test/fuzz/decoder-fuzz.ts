/**
 * Fuzzes what the client decodes: SMP headers and packets, CBOR, the error forms, every command's
 * response model, the serial frame decoder, and SmpClient's receive path. A decoder may return a
 * value or throw its own error (SmpProtocolError, SchemaError, a device's SmpError); anything else
 * escaping (TypeError, RangeError …) is a crash. Round trips must give back what went in.
 */
import fc from 'fast-check';
import { SmpClient } from '../../src/client/client.ts';
import {
  imageCommands,
  imageErase,
  imageStateRead,
  imageUpload,
  slotInfo,
} from '../../src/groups/image/models.ts';
import {
  bootloaderInfo,
  echo,
  echoRead,
  mcumgrParams,
  osCommands,
  osInfo,
  reset,
  taskStat,
} from '../../src/groups/os/models.ts';
import { statCommands, statList, statShow } from '../../src/groups/stat/models.ts';
import {
  type CborValue,
  decodeCbor,
  decodePacket,
  encodeCbor,
  splitMessages,
  toIndefiniteLength,
} from '../../src/smp/codec.ts';
import { decodeRequest, decodeResponse, type SmpCommand } from '../../src/smp/command.ts';
import { errorFromResponse, SmpError, SmpProtocolError, SmpTimeoutError } from '../../src/smp/errors.ts';
import { decodeHeader, decodeRawHeader, encodeHeader, SMP_HEADER_SIZE } from '../../src/smp/header.ts';
import { SchemaError } from '../../src/smp/schema.ts';
import {
  encodeSerialFrame,
  type SerialEvent,
  SerialFrameDecoder,
} from '../../src/transport/serial-framing.ts';
import type { Transport } from '../../src/transport/transport.ts';
import {
  cborMap,
  cborValue,
  concatBytes,
  encodeRawHeader,
  headerFields,
  mutated,
  serialInput,
  smpMessage,
  smpPacket,
  toHex,
} from './generators.ts';

const COMMANDS: ReadonlyArray<SmpCommand> = [...osCommands, echoRead, ...imageCommands, ...statCommands];

/** Throws unless `error` is one a decoder may legitimately throw. */
function allowOnly(error: unknown, ...allowed: ReadonlyArray<new (...args: never[]) => Error>): void {
  if (allowed.some((type) => error instanceof type)) return;
  throw error;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** CBOR equality as the codec promises it: safe bigints come back as numbers, NaN equals NaN. */
function cborEqual(a: CborValue | undefined, b: CborValue | undefined): boolean {
  if (typeof a === 'bigint' && typeof b === 'number') return a === BigInt(b);
  if (typeof a === 'number' && typeof b === 'bigint') return BigInt(a) === b;
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && same(a, b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => cborEqual(item, b[i]))
    );
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => cborEqual(a[key], b[key]));
  }
  return a === b;
}

/** What cbor-x gives back for a value: it renames a "__proto__" key to "__proto_" (its pollution guard). */
function asDecoded(value: CborValue): CborValue {
  if (Array.isArray(value)) return value.map(asDecoded);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key === '__proto__' ? '__proto_' : key, asDecoded(item)]),
  );
}

const headerBytes = fc.oneof(
  fc.uint8Array({ maxLength: 12 }),
  mutated(
    fc.tuple(headerFields, fc.nat(0xffff)).map(([fields, length]) => encodeRawHeader(fields, length)),
    2,
  ),
);

/** A response to `command`'s request: the right header with a fuzzed body, or something else. */
function responseFor(command: SmpCommand, sequence: number): fc.Arbitrary<Uint8Array> {
  const responseOp = command.op === 'read' ? 1 : 3;
  const matching = fc
    .tuple(fc.constantFrom(0, 1), mutated(fc.oneof(cborMap, cborValue).map((value) => encodeCbor(value))))
    .map(([versionBits, body]) =>
      concatBytes([
        encodeRawHeader(
          {
            reserved: 0,
            versionBits,
            op: responseOp,
            flags: 0,
            group: command.group,
            sequence,
            command: command.id,
          },
          body.length,
        ),
        body,
      ]),
    );
  return fc.oneof({ weight: 4, arbitrary: matching }, mutated(matching), smpPacket, smpMessage);
}

/** Valid requests the client can make, one per command shape. */
const REQUESTS: ReadonlyArray<readonly [SmpCommand, Record<string, unknown>]> = [
  [echo, { d: 'hello' }],
  [echoRead, { d: 'hello' }],
  [taskStat, {}],
  [reset, {}],
  [mcumgrParams, {}],
  [osInfo, { format: 'a' }],
  [bootloaderInfo, {}],
  [imageStateRead, {}],
  [imageUpload, { off: 0, data: new Uint8Array(8), len: 8 }],
  [imageErase, {}],
  [slotInfo, {}],
  [statShow, { name: 'smp_server_stats' }],
  [statList, {}],
];

/** A transport whose "device" answers each request with the fuzzed packets, synchronously. */
class ScriptedTransport implements Transport {
  readonly kind = 'memory' as const;
  readonly mtu = 4096;
  private listener: ((packet: Uint8Array) => void) | undefined;
  constructor(private readonly answer: (request: Uint8Array) => Uint8Array[]) {}
  async send(packet: Uint8Array): Promise<void> {
    for (const reply of this.answer(packet)) this.listener?.(reply);
  }
  onPacket(listener: (packet: Uint8Array) => void): () => void {
    this.listener = listener;
    return () => {
      this.listener = undefined;
    };
  }
  onText(): () => void {
    return () => undefined;
  }
  /** The scripted link never fails. */
  onLinkError(): () => void {
    return () => undefined;
  }
  async close(): Promise<void> {}
}

type AnyProperty = fc.IPropertyWithHooks<[unknown]> | fc.IAsyncPropertyWithHooks<[unknown]>;

/** The decoder properties by name. */
export const DECODER_PROPERTIES: Readonly<Record<string, () => AnyProperty>> = {
  header: () =>
    fc.property(headerBytes, (bytes) => {
      if (bytes.length >= SMP_HEADER_SIZE) decodeRawHeader(bytes);
      try {
        const header = decodeHeader(bytes);
        if (!same(encodeHeader(header), bytes.subarray(0, SMP_HEADER_SIZE))) {
          throw new Error(`header ${toHex(bytes.subarray(0, 8))} does not encode back to itself`);
        }
      } catch (error) {
        allowOnly(error, SmpProtocolError);
      }
    }) as AnyProperty,

  packet: () =>
    fc.property(fc.oneof(smpPacket, mutated(smpPacket)), (bytes) => {
      try {
        decodePacket(bytes);
      } catch (error) {
        allowOnly(error, SmpProtocolError);
      }
      try {
        const messages = splitMessages(bytes);
        if (!same(concatBytes(messages), bytes)) throw new Error('splitMessages lost or added bytes');
      } catch (error) {
        allowOnly(error, SmpProtocolError);
      }
    }) as AnyProperty,

  cbor: () =>
    fc.property(
      mutated(
        cborValue.map((value) => encodeCbor(value)),
        4,
      ),
      (bytes) => {
        let value: CborValue | undefined;
        try {
          value = decodeCbor(bytes);
        } catch (error) {
          allowOnly(error, SmpProtocolError);
        }
        let indefinite: Uint8Array | undefined;
        try {
          indefinite = toIndefiniteLength(bytes);
        } catch (error) {
          allowOnly(error, SmpProtocolError);
        }
        if (value !== undefined && indefinite !== undefined) {
          const again = decodeCbor(indefinite);
          if (!cborEqual(again, value)) throw new Error('the indefinite-length rewrite changed the value');
        }
      },
    ) as AnyProperty,

  'cbor-roundtrip': () =>
    fc.property(cborValue, fc.boolean(), (value, indefinite) => {
      const back = decodeCbor(encodeCbor(value, { indefinite }));
      if (!cborEqual(back, asDecoded(value))) throw new Error('encode then decode changed the value');
    }) as unknown as AnyProperty,

  errors: () =>
    fc.property(fc.oneof(cborMap, cborValue), (body) => {
      try {
        const error = errorFromResponse(body, { command: 'fuzz' });
        if (error && (!(error instanceof SmpError) || error.message.length === 0))
          throw new Error('bad SmpError');
      } catch (error) {
        allowOnly(error, SmpProtocolError);
      }
    }) as AnyProperty,

  models: () =>
    fc.property(fc.constantFrom(...COMMANDS), fc.oneof(cborMap, cborValue), (command, body) => {
      try {
        decodeResponse(command, body);
      } catch (error) {
        allowOnly(error, SchemaError);
      }
      try {
        decodeRequest(command, body);
      } catch (error) {
        allowOnly(error, SchemaError);
      }
    }) as unknown as AnyProperty,

  'serial-roundtrip': () =>
    fc.property(
      fc.array(
        fc.oneof(
          fc.uint8Array({ maxLength: 2100 }).map((packet) => ({ packet })),
          fc
            .string({ unit: fc.constantFrom(...'abc :*\r'.split('')), minLength: 1, maxLength: 40 })
            .map((text) => ({ text })),
        ),
        { maxLength: 5 },
      ),
      fc.array(fc.nat(), { maxLength: 8 }),
      (items, cuts) => {
        const encoder = new TextEncoder();
        const stream = concatBytes(
          items.map((item) =>
            'packet' in item ? encodeSerialFrame(item.packet) : encoder.encode(`${item.text}\n`),
          ),
        );
        const decoder = new SerialFrameDecoder();
        const events: SerialEvent[] = [];
        let offset = 0;
        for (const cut of [
          ...cuts.map((c) => c % (stream.length + 1)).sort((a, b) => a - b),
          stream.length,
        ]) {
          events.push(...decoder.push(stream.subarray(offset, Math.max(offset, cut))));
          offset = Math.max(offset, cut);
        }
        const expected = items.map((item) =>
          'packet' in item ? toHex(item.packet) : item.text.replace(/\r$/, ''),
        );
        const got = events.map((event) =>
          event.kind === 'packet'
            ? toHex(event.packet)
            : event.kind === 'text'
              ? event.text
              : `bad-frame: ${event.reason}`,
        );
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          throw new Error(`decoded ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
        }
      },
    ) as unknown as AnyProperty,

  'serial-garbage': () =>
    fc.property(fc.array(serialInput, { minLength: 1, maxLength: 4 }), fc.boolean(), (chunks, flush) => {
      const decoder = new SerialFrameDecoder();
      for (const chunk of chunks) {
        for (const event of decoder.push(chunk)) {
          if (event.kind === 'packet' && event.packet.length > 0xffff)
            throw new Error('packet larger than the length field allows');
        }
        if (flush) decoder.flushText();
      }
    }) as unknown as AnyProperty,

  client: () =>
    fc.asyncProperty(
      fc
        .constantFrom(...REQUESTS)
        .chain(([command, body]) =>
          fc.tuple(
            fc.constant(command),
            fc.constant(body),
            fc.array(responseFor(command, 0), { maxLength: 3 }),
            fc.constantFrom<1 | 2>(1, 2),
          ),
        ),
      async ([command, body, replies, version]) => {
        const transport = new ScriptedTransport(() => replies);
        const client = new SmpClient(transport, { version, timeoutMs: 60_000, retries: 0 });
        const outcome = client.request(command, body as never).then(
          () => undefined,
          (error: unknown) => error,
        );
        // Whatever did not answer the request is stale: close, which must reject it in words.
        await new Promise((resolve) => setImmediate(resolve));
        await client.close();
        const error = await outcome;
        if (error !== undefined) {
          if (error instanceof Error && error.message === 'SMP client closed while waiting for a reply')
            return;
          allowOnly(error, SmpError, SmpProtocolError, SmpTimeoutError);
        }
        if (client.pending !== 0) throw new Error(`${client.pending} requests still pending after close`);
      },
    ) as unknown as AnyProperty,
};

export interface DecoderFuzzOptions {
  seed: number;
  /** Inputs per property. */
  runs: number;
  seconds?: number;
  /** Only these properties (default: all). */
  only?: readonly string[];
  /** With one property in `only`: replay this fast-check path. */
  path?: string;
}

export interface DecoderResult {
  name: string;
  runs: number;
  seconds: number;
  failure: { message: string; seed: number; path: string | undefined; input: string } | undefined;
}

export interface DecoderFuzzReport {
  results: DecoderResult[];
}

function describeInput(value: unknown): string {
  return fc
    .stringify(value)
    .replace(
      /Uint8Array\.from\(\[([^\]]*)\]\)/g,
      (_, list: string) => `hex:${toHex(Uint8Array.from(list.split(',').filter(Boolean).map(Number)))}`,
    );
}

export async function fuzzDecoders(options: DecoderFuzzOptions): Promise<DecoderFuzzReport> {
  const results: DecoderResult[] = [];
  for (const [name, make] of Object.entries(DECODER_PROPERTIES)) {
    if (options.only && !options.only.includes(name)) continue;
    const started = performance.now();
    const details = await fc.check(make(), {
      seed: options.seed,
      numRuns: options.runs,
      ...(options.path ? { path: options.path } : {}),
      ...(options.seconds ? { interruptAfterTimeLimit: options.seconds * 1000 } : {}),
    });
    results.push({
      name,
      runs: details.numRuns,
      seconds: (performance.now() - started) / 1000,
      failure:
        details.failed && details.counterexample
          ? {
              message:
                details.errorInstance instanceof Error
                  ? (details.errorInstance.stack ?? details.errorInstance.message)
                  : String(details.errorInstance),
              seed: details.seed,
              path: details.counterexamplePath ?? undefined,
              input: describeInput(details.counterexample),
            }
          : details.failed
            ? {
                message: 'the run was interrupted before any input passed',
                seed: details.seed,
                path: undefined,
                input: '',
              }
            : undefined,
    });
  }
  return { results };
}
