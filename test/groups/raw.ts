/** Raw SMP requests to a virtual device (any header version, any body) for the group tests. */
import { expect } from 'vitest';
import type { VirtualDevice } from '../../src/device/device.ts';
import { type CborMap, decodePacket, encodePacket } from '../../src/smp/codec.ts';

let sequence = 0;

/** Sends one request straight to the device's SMP server and returns the response body. */
export async function rawRequest(
  device: VirtualDevice,
  request: { version: 1 | 2; op: 'read' | 'write'; group: number; command: number; body: CborMap },
): Promise<unknown> {
  sequence = (sequence + 1) & 0xff;
  const packet = encodePacket(
    {
      version: request.version,
      op: request.op === 'read' ? 0 : 2,
      flags: 0,
      group: request.group,
      sequence,
      command: request.command,
    },
    request.body,
  );
  const responses = await device.handleDatagram(packet);
  expect(responses).toHaveLength(1);
  return decodePacket(responses[0]!).body;
}
