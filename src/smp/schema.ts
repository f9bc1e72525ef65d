/**
 * Small declarative field specs for SMP request/response maps. One spec gives both directions:
 * `decode` validates a received CBOR value (following Zephyr's zcbor_map_decode_bulk: unknown keys
 * skipped, a known key of the wrong type rejected) and `encode` checks and writes a value.
 * TypeScript types are inferred from the spec, so the client and server share one definition.
 */
import type { CborMap, CborValue } from './codec.ts';

export type SchemaProblem = 'missing' | 'type' | 'range';

/** A value does not match its spec. `path` names the key, e.g. `images[0].hash`. */
export class SchemaError extends Error {
  override readonly name = 'SchemaError';
  constructor(
    readonly path: string,
    readonly problem: SchemaProblem,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      problem === 'missing'
        ? `"${path}" is required (${expected}) but missing`
        : `"${path || 'body'}" must be ${expected}, got ${actual}`,
    );
  }
}

/** Describes a value in CBOR words for error messages. */
export function describeValue(value: CborValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'boolean') return `boolean ${value}`;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return `float ${value}`;
    return value < 0 ? `negative integer ${value}` : `unsigned integer ${value}`;
  }
  if (typeof value === 'bigint') return `integer ${value}`;
  if (typeof value === 'string') {
    return `text string "${value.length > 24 ? `${value.slice(0, 24)}…` : value}"`;
  }
  if (value instanceof Uint8Array) return `byte string (${value.length} bytes)`;
  if (Array.isArray(value)) return `array (${value.length} items)`;
  return 'map';
}

export interface Field<Out, In = Out> {
  /** What the field holds, in words ("a text string", "an array of text strings"). */
  readonly expected: string;
  decode(value: CborValue, path: string): Out;
  encode(value: In, path: string): CborValue;
}

export type Presence = 'required' | 'optional' | 'default';

export interface Entry<Out, In, P extends Presence> {
  readonly field: Field<Out, In>;
  readonly presence: P;
  readonly defaultValue: Out | undefined;
}

export type ShapeItem = Field<unknown, never> | Entry<unknown, never, Presence>;
export type Shape = Readonly<Record<string, ShapeItem>>;

type OutOf<I> = I extends Entry<infer O, never, Presence> ? O : I extends Field<infer O, never> ? O : never;
type InOf<I> =
  I extends Entry<unknown, infer N, Presence> ? N : I extends Field<unknown, infer N> ? N : never;
type PresenceOf<I> = I extends Entry<unknown, never, infer P> ? P : 'required';
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The decoded form: optional keys may be absent, defaulted keys are always there. */
export type StructOut<S extends Shape> = Simplify<
  { -readonly [K in keyof S as PresenceOf<S[K]> extends 'optional' ? never : K]: OutOf<S[K]> } & {
    -readonly [K in keyof S as PresenceOf<S[K]> extends 'optional' ? K : never]?: OutOf<S[K]>;
  }
>;

/** The form one writes: only required keys must be given. */
export type StructIn<S extends Shape> = Simplify<
  { -readonly [K in keyof S as PresenceOf<S[K]> extends 'required' ? K : never]: InOf<S[K]> } & {
    -readonly [K in keyof S as PresenceOf<S[K]> extends 'required' ? never : K]?: InOf<S[K]>;
  }
>;

export type OutputOf<F> = F extends Field<infer O, never> ? O : never;
export type InputOf<F> = F extends Field<unknown, infer I> ? I : never;

export interface StructField<S extends Shape> extends Field<StructOut<S>, StructIn<S>> {
  readonly shape: S;
}

function primitive<T extends CborValue>(
  expected: string,
  accepts: (value: CborValue) => value is T,
): Field<T> {
  const check = (value: CborValue, path: string): T => {
    if (!accepts(value)) throw new SchemaError(path, 'type', expected, describeValue(value));
    return value;
  };
  return { expected, decode: check, encode: check };
}

function isUint(value: CborValue): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isInt(value: CborValue): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function isMap(value: CborValue): value is CborMap {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

export const text = (): Field<string> =>
  primitive('a text string', (v): v is string => typeof v === 'string');
export const uint = (): Field<number> => primitive('an unsigned integer', isUint);
export const int = (): Field<number> => primitive('an integer', isInt);
export const bool = (): Field<boolean> => primitive('a boolean', (v): v is boolean => typeof v === 'boolean');
export const bytes = (): Field<Uint8Array> =>
  primitive('a byte string', (v): v is Uint8Array => v instanceof Uint8Array);

export function arrayOf<O, I>(item: Field<O, I>): Field<O[], I[]> {
  const expected = `an array of ${item.expected.replace(/^an? /, '')}s`;
  return {
    expected,
    decode(value, path) {
      if (!Array.isArray(value)) throw new SchemaError(path, 'type', expected, describeValue(value));
      return value.map((v, i) => item.decode(v, `${path}[${i}]`));
    },
    encode(value, path) {
      if (!Array.isArray(value)) throw new SchemaError(path, 'type', expected, typeof value);
      return value.map((v, i) => item.encode(v, `${path}[${i}]`));
    },
  };
}

/** A map with free-form text keys (stat fields, task names) and uniform values. */
export function mapOf<O, I>(item: Field<O, I>): Field<Record<string, O>, Record<string, I>> {
  const expected = `a map of ${item.expected.replace(/^an? /, '')}s`;
  const child = (path: string, key: string) => (path ? `${path}.${key}` : key);
  return {
    expected,
    decode(value, path) {
      if (!isMap(value)) throw new SchemaError(path, 'type', expected, describeValue(value));
      const out: Record<string, O> = {};
      for (const [key, v] of Object.entries(value)) out[key] = item.decode(v, child(path, key));
      return out;
    },
    encode(value, path) {
      if (typeof value !== 'object' || value === null)
        throw new SchemaError(path, 'type', expected, typeof value);
      const out: CborMap = {};
      for (const [key, v] of Object.entries(value)) out[key] = item.encode(v, child(path, key));
      return out;
    },
  };
}

export function optional<O, I>(field: Field<O, I>): Entry<O, I, 'optional'> {
  return { field, presence: 'optional', defaultValue: undefined };
}

export function withDefault<O, I>(field: Field<O, I>, defaultValue: O): Entry<O, I, 'default'> {
  return { field, presence: 'default', defaultValue };
}

function asEntry(item: ShapeItem): Entry<unknown, unknown, Presence> {
  return (
    'presence' in item ? item : { field: item, presence: 'required', defaultValue: undefined }
  ) as Entry<unknown, unknown, Presence>;
}

/** A map with known text keys. Unknown keys are skipped on decode, as zcbor's bulk decoder does. */
export function struct<S extends Shape>(shape: S): StructField<S> {
  const expected = 'a map';
  const entries = Object.entries(shape).map(([key, item]) => [key, asEntry(item)] as const);
  const child = (path: string, key: string) => (path ? `${path}.${key}` : key);
  return {
    shape,
    expected,
    decode(value, path) {
      if (!isMap(value)) throw new SchemaError(path, 'type', expected, describeValue(value));
      const out: Record<string, unknown> = {};
      for (const [key, entry] of entries) {
        const raw = Object.hasOwn(value, key) ? value[key] : undefined;
        if (raw === undefined) {
          if (entry.presence === 'required') {
            throw new SchemaError(child(path, key), 'missing', entry.field.expected, 'nothing');
          }
          if (entry.presence === 'default') out[key] = entry.defaultValue;
          continue;
        }
        out[key] = entry.field.decode(raw, child(path, key));
      }
      return out as StructOut<S>;
    },
    encode(value, path) {
      if (typeof value !== 'object' || value === null)
        throw new SchemaError(path, 'type', expected, typeof value);
      const source = value as Record<string, unknown>;
      const out: CborMap = {};
      for (const [key, entry] of entries) {
        const v = source[key];
        if (v === undefined) {
          if (entry.presence === 'required') {
            throw new SchemaError(child(path, key), 'missing', entry.field.expected, 'nothing');
          }
          continue;
        }
        out[key] = entry.field.encode(v as never, child(path, key));
      }
      return out;
    },
  };
}
