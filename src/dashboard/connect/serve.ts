/** Lists and opens the devices `zdfu serve` bridges (src/transport/web/websocket.ts). */
import type { ServeTarget } from '../../serve/protocol.ts';
import { listServeTargets, openServeTransport } from '../../transport/web/websocket.ts';
import { type Connection, openConnection } from './connection.ts';

export type { ServeTarget };

export interface ServeAddress {
  readonly url: string;
  readonly token: string;
}

export function listTargets(address: ServeAddress): Promise<ServeTarget[]> {
  return listServeTargets({ url: address.url, token: address.token });
}

export async function connectServe(address: ServeAddress, target: ServeTarget): Promise<Connection> {
  const transport = await openServeTransport({ url: address.url, token: address.token, target: target.id });
  return openConnection('serve', `zdfu serve: ${target.label}`, transport);
}
