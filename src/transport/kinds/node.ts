/**
 * Opening a target in Node: one lazy opener per kind, so a command loads a kind's Node module
 * (serialport is slow to load) only when it opens that kind. A kind registered in ./registry.ts
 * and missing here fails the typecheck. Node only.
 */
import type { Transport } from '../transport.ts';
import type { ConnTarget, ConnType, KindTargets } from './kind.ts';

type Opener<K extends ConnType> = (target: KindTargets[K]) => Promise<Transport>;

const openers: { readonly [K in ConnType]: Opener<K> } = {
  serial: async (target) => (await import('../serial.ts')).openSerialTarget(target),
  udp: async (target) => (await import('../udp.ts')).openUdpTarget(target),
  ble: async (target) => (await import('../ble.ts')).openBleTarget(target),
};

/** Opens the Node link for a target. */
export function openNodeTarget(target: ConnTarget): Promise<Transport> {
  const open = openers[target.type] as Opener<ConnType>;
  return open(target as never);
}
