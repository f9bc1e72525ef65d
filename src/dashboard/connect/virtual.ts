/** Connects to a virtual board running in this tab (src/device/web/virtual-board.ts). */
import { startVirtualBoard, type VirtualBoardStorage } from '../../device/web/virtual-board.ts';
import { type BoardAssetEntry, fetchBytes, fetchText } from './board-assets.ts';
import { type Connection, openConnection } from './connection.ts';

export interface VirtualConnectOptions {
  readonly entry: BoardAssetEntry;
  /** 'indexeddb' keeps the flash across reloads (a reload is a power cycle). */
  readonly storage?: VirtualBoardStorage;
  /** UART baud rate; 115200 as `zdfu sim`. */
  readonly baud?: number;
}

export async function connectVirtualBoard(options: VirtualConnectOptions): Promise<Connection> {
  const { entry } = options;
  const [boardYaml, bootloaderKeyPem, factory] = await Promise.all([
    fetchText(entry.yaml),
    entry.key === undefined ? Promise.resolve(undefined) : fetchText(entry.key),
    fetchBytes(entry.factory.file),
  ]);
  const board = await startVirtualBoard({
    board: entry.name,
    storage: options.storage ?? 'indexeddb',
    baud: options.baud ?? 115200,
    assets: {
      boardYaml,
      ...(bootloaderKeyPem === undefined ? {} : { bootloaderKeyPem }),
      factoryImages: [factory],
    },
  });
  return openConnection('virtual', `virtual ${entry.name}`, board.transport, board);
}
