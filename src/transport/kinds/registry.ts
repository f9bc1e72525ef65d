/**
 * The transport kinds zdfu knows, by name: the one place `--conntype`, profile validation and
 * upload sizing look a kind up. Serial, UDP and BLE are registered here; a browser build (or a later
 * kind) adds its own with registerKind. Pure: no Node imports.
 */

import { bleKind } from './ble.ts';
import {
  type AnyKindDescriptor,
  ConnStringError,
  type ConnTarget,
  type ConnType,
  type KindDescriptor,
} from './kind.ts';
import { serialKind } from './serial.ts';
import { udpKind } from './udp.ts';

const kinds = new Map<string, AnyKindDescriptor>();

/** Adds a kind (or replaces one of the same name, e.g. a browser's own serial). */
export function registerKind<K extends ConnType>(descriptor: KindDescriptor<K>): void {
  kinds.set(descriptor.type, descriptor as unknown as AnyKindDescriptor);
}

registerKind(serialKind);
registerKind(udpKind);
registerKind(bleKind);

/** The registered kinds' names, in registration order. */
export function connTypes(): readonly ConnType[] {
  return [...kinds.keys()] as ConnType[];
}

export function isConnType(value: string): value is ConnType {
  return kinds.has(value);
}

/** The descriptor of a kind, or undefined for links that are no kind (an in-memory test link). */
export function findKind(type: string): AnyKindDescriptor | undefined {
  return kinds.get(type);
}

export function getKind<K extends ConnType>(type: K): KindDescriptor<K> {
  const kind = kinds.get(type);
  if (kind === undefined) throw new ConnStringError(unknownTypeMessage(type), type);
  return kind as unknown as KindDescriptor<K>;
}

export function parseConnType(value: string): ConnType {
  if (isConnType(value)) return value;
  throw new ConnStringError(unknownTypeMessage(value), value);
}

function unknownTypeMessage(value: string): string {
  return `Unknown connection type "${value}"; expected one of: ${connTypes().join(', ')}.`;
}

/** Parses `connstring` as a target of kind `type`. */
export function parseConnString(type: ConnType, connstring: string): ConnTarget {
  return getKind(type).parse(connstring);
}

/** Renders a target back into its kind's canonical connstring (used when storing profiles). */
// `as never`: TypeScript cannot tie a target's kind to its descriptor's parameter type; kindOf
// looks the descriptor up by the target's own `type`, so they always match.
export function formatConnTarget(target: ConnTarget): string {
  return kindOf(target).format(target as never);
}

/** How a target is named in messages. */
export function describeTarget(target: ConnTarget): { readonly where: string; readonly id: string } {
  return kindOf(target).describe(target as never);
}

function kindOf(target: ConnTarget): AnyKindDescriptor {
  const kind = kinds.get(target.type);
  if (kind === undefined) throw new ConnStringError(unknownTypeMessage(target.type), target.type);
  return kind;
}

/** The kinds in a sentence: `serial or udp`; quoted: `"serial" or "udp"`; 3: `a, b or c`. */
export function connTypeList(quote = false): string {
  const names = connTypes().map((name) => (quote ? `"${name}"` : name));
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}
