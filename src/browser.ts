/**
 * zdfu's browser entry (the package's `browser` condition, bundled into dist/browser/ with no Node
 * polyfills): the pure core plus the links a page opens itself, Web Serial and Web Bluetooth.
 * test/package/browser-purity.test.ts fails if anything under it imports from Node.
 */
export * from './core.ts';
export { parseServeUrl, ServeProtocolError } from './serve/protocol.ts';
export {
  describeWebBluetoothDevice,
  openWebBluetoothTransport,
  type RequestWebBluetoothOptions,
  requestWebBluetoothTransport,
  WEB_BLUETOOTH_FRAGMENT_SIZE,
  type WebBluetoothOptions,
  WebBluetoothTransport,
} from './transport/web/web-bluetooth.ts';
export {
  describeWebSerialPort,
  openWebSerialTransport,
  type RequestWebSerialOptions,
  requestWebSerialTransport,
  WebSerialLink,
  type WebSerialOptions,
} from './transport/web/web-serial.ts';
export {
  listServeTargets,
  openServeTransport,
  type ServeConnectOptions,
  ServeError,
  type ServeOpenOptions,
  type ServeSocket,
  type ServeSocketConstructor,
  type ServeTarget,
  ServeTransport,
} from './transport/web/websocket.ts';

// Added when their branches merge (issue #10), each one line here:
// - the in-tab virtual board: `startVirtualBoard` and its types from './device/web/virtual-board.ts'
