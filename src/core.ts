/**
 * The pure core of zdfu, shared by both package entries (./index.ts for Node, ./browser.ts for
 * browsers): the SMP protocol, the client (requests, upload, dfu, explain, file transfers), each
 * group's command models and client calls, the MCUboot image library, hawkBit's DDI client, and the
 * links that need no runtime (in-memory, the serial framing over any byte link, BLE reassembly).
 * Nothing here imports from Node: test/package/browser-purity.test.ts bundles it for the browser
 * to prove it.
 */

// The client: one request at a time or pipelined, the device facade, upload, dfu, explain.
export * from './client/client.ts';
export * from './client/device.ts';
export * from './client/dfu.ts';
export * from './client/dfu-health.ts';
export * from './client/explain.ts';
export * from './client/transfer/index.ts';
export * from './client/upload.ts';
// Fleets through Eclipse hawkBit: the DDI client a controller or a gateway uses, its errors, poll intervals.
export * from './fleet/ddi/client.ts';
export * from './fleet/ddi/errors.ts';
export * from './fleet/ddi/sleep.ts';
// Groups: ids and error words, command models, client calls.
export * from './groups/catalog.ts';
export * from './groups/enum/client.ts';
export * from './groups/enum/models.ts';
export * from './groups/fs/client.ts';
export * from './groups/fs/models.ts';
export * from './groups/image/models.ts';
export * from './groups/os/client.ts';
export * from './groups/os/models.ts';
export * from './groups/settings/client.ts';
export * from './groups/settings/models.ts';
export * from './groups/shell/client.ts';
export * from './groups/shell/models.ts';
export * from './groups/stat/models.ts';
export * from './groups/zephyr-basic/client.ts';
export * from './groups/zephyr-basic/models.ts';
// MCUboot images: parse, dumpinfo, sign, verify, keys, HEX.
export * from './image/index.ts';
// SMP: header, CBOR codec, command models, errors with words.
export * from './smp/codec.ts';
export * from './smp/command.ts';
export * from './smp/errors.ts';
export * from './smp/group-def.ts';
export * from './smp/group-ids.ts';
export * from './smp/header.ts';
export * from './smp/mgmt-err.ts';
/** The field builders of command models (text, uint, bytes, struct …), for defining new commands. */
export * as schema from './smp/schema.ts';
export { SchemaError, type SchemaProblem } from './smp/schema.ts';
export {
  BLE_MAX_ATTRIBUTE,
  BLE_REQUESTED_ATT_MTU,
  bleWriteLimit,
  SMP_CHARACTERISTIC,
  SMP_SERVICE,
} from './transport/ble-smp.ts';
// Links that need no runtime, and what every link shares.
export type { ByteLink } from './transport/byte-link.ts';
export { type FramedSerialOptions, FramedSerialTransport } from './transport/framed-serial.ts';
export type { ConnTarget, ConnType, KindDescriptor } from './transport/kinds/kind.ts';
export { ConnStringError } from './transport/kinds/kind.ts';
export {
  connTypes,
  describeTarget,
  formatConnTarget,
  getKind,
  parseConnString,
  parseConnType,
} from './transport/kinds/registry.ts';
export { LinkError } from './transport/link-error.ts';
export { createMemoryLink, type MemoryLinkOptions, MemoryTransport } from './transport/memory.ts';
export { ReconnectingTransport } from './transport/reconnecting.ts';
export {
  encodeSerialFrame,
  SERIAL_MAX_PACKET,
  type SerialEvent,
  SerialFrameDecoder,
} from './transport/serial-framing.ts';
export { SmpReassembler, type SmpReassemblerOptions } from './transport/smp-reassembler.ts';
export type { Transport, TransportKind } from './transport/transport.ts';
export { TransportBase } from './transport/transport-base.ts';
