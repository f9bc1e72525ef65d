/**
 * A small seeded slice of `npm run fuzz` (a few thousand inputs, a few seconds) and checks that the
 * fuzz harness's own judges see what they are there to see.
 */
import { describe, expect, it } from 'vitest';
import { SmpServer } from '../../src/device/server/smp-server.ts';
import { encodePacket } from '../../src/smp/codec.ts';
import { SmpOp } from '../../src/smp/header.ts';
import { fuzzDecoders } from './decoder-fuzz.ts';
import { fuzzDevice } from './device-fuzz.ts';
import { concatBytes, mayWriteFlash } from './generators.ts';
import { checkResponse, ServerWatch, TRANSPORTS } from './targets.ts';

const SEED = 20261202;

const packet = (group: number, command: number, op: SmpOp, body: Record<string, string> = {}) =>
  encodePacket({ version: 2, op, flags: 0, group, sequence: 1, command }, body);

describe('fuzz harness judges', () => {
  it('knows which requests may write flash, in any message of a packet', () => {
    expect(mayWriteFlash(packet(1, 1, SmpOp.Write))).toBe(true); // image upload
    expect(mayWriteFlash(packet(1, 0, SmpOp.Write))).toBe(true); // image state write
    expect(mayWriteFlash(packet(1, 5, SmpOp.Write))).toBe(true); // image erase
    expect(mayWriteFlash(packet(0, 5, SmpOp.Write))).toBe(true); // os reset
    expect(mayWriteFlash(packet(1, 0, SmpOp.Read))).toBe(false); // image list
    expect(mayWriteFlash(packet(0, 0, SmpOp.Write, { d: 'x' }))).toBe(false); // echo
    expect(
      mayWriteFlash(concatBytes([packet(0, 0, SmpOp.Write, { d: 'x' }), packet(1, 5, SmpOp.Write)])),
    ).toBe(true);
  });

  it('rejects answers that are not SMP responses with a map body', () => {
    expect(checkResponse(packet(0, 0, SmpOp.WriteResponse, { r: 'x' }))).toBeUndefined();
    expect(checkResponse(packet(0, 0, SmpOp.Write, { r: 'x' }))).toMatch(/not a response op/);
    expect(checkResponse(packet(0, 0, SmpOp.WriteResponse).subarray(0, 6))).toMatch(/malformed/);
    const engineError = encodePacket(
      { version: 2, op: SmpOp.ReadResponse, flags: 0, group: 0, sequence: 1, command: 0 },
      { rc: 1, rsn: "Cannot read properties of undefined (reading 'length')" },
    );
    expect(checkResponse(engineError)).toMatch(/handler threw a JavaScript error/);
  });

  it('sees an exception escaping the SMP server, which the transports would swallow', async () => {
    const watch = new ServerWatch();
    try {
      const server = new SmpServer({
        netbufSize: 2048,
        onRequest: () => {
          throw new TypeError('boom');
        },
      });
      await server.handlePacket(packet(0, 0, SmpOp.Write, { d: 'x' })).catch(() => undefined);
      expect(watch.packets).toBe(1);
      expect(watch.crashes.join('\n')).toMatch(/TypeError: boom/);
    } finally {
      watch.restore();
    }
  });
});

describe('fuzz slice (seeded)', () => {
  for (const transport of TRANSPORTS) {
    it(`${transport}: 1000 inputs, no crash, hang, flash change or bad answer`, async () => {
      const report = await fuzzDevice({ transport, seed: SEED, inputs: 1000, batch: 100, shrinkSeconds: 10 });
      expect(report.failure?.message).toBeUndefined();
      expect(report.memoryGrowthFailure).toBeUndefined();
      expect(report.sent).toBe(1000);
      expect({ crashes: report.crashes, hangs: report.hangs, flash: report.flashChanges }).toEqual({
        crashes: 0,
        hangs: 0,
        flash: 0,
      });
      // The inputs reached the server: most of them are packets or frames it must handle.
      expect(report.serverPackets).toBeGreaterThan(transport === 'direct' || transport === 'udp' ? 800 : 300);
    });
  }

  it('client decoders: 1000 inputs per property, only their own errors', async () => {
    const report = await fuzzDecoders({ seed: SEED, runs: 1000 });
    expect(report.results.length).toBeGreaterThanOrEqual(9);
    for (const result of report.results)
      expect({ name: result.name, failure: result.failure }).toEqual({
        name: result.name,
        failure: undefined,
      });
  });
});
