/** The fleet stream's wire format: snapshots and deltas that rebuild the gateway's fleet exactly, within bounds. */
import { describe, expect, it } from 'vitest';
import {
  type FleetDeviceLike,
  FleetDiffer,
  FleetMirror,
  type FleetServerMessage,
  type FleetSnapshot,
  FleetStreamError,
  MAX_FLEET_DEVICES,
  MAX_FLEET_TEXT,
  toWireDevice,
} from '../../src/serve/fleet-protocol.ts';
import { decodeServerFrame, encodeMessage, SERVE_MAX_MESSAGE_BYTES } from '../../src/serve/protocol.ts';

function device(index: number, extra: Partial<FleetDeviceLike> = {}): FleetDeviceLike {
  return {
    controllerId: `nrf52840dk-${index.toString(16).padStart(8, '0')}`,
    link: `sim #${index}`,
    board: 'nrf52840dk',
    version: '1.0.0',
    confirmed: true,
    phase: 'polling',
    updatedAt: 1_700_000_000_000 + index,
    ...extra,
  };
}

function fleet(devices: FleetDeviceLike[]) {
  return { server: 'http://127.0.0.1:8080', startedAt: 1_700_000_000_000, devices };
}

/** Sends `messages` through the real encoder and decoder into `mirror`; the last snapshot. */
function deliver(mirror: FleetMirror, messages: FleetServerMessage[]): FleetSnapshot | undefined {
  let snapshot: FleetSnapshot | undefined;
  for (const message of messages) {
    const text = encodeMessage(message);
    expect(text.length).toBeLessThanOrEqual(SERVE_MAX_MESSAGE_BYTES);
    const decoded = decodeServerFrame(text);
    if (decoded.type !== 'fleet') throw new Error(`not a fleet message: ${decoded.type}`);
    const result = mirror.apply(decoded);
    if (message.last) expect(result).toBeDefined();
    else expect(result).toBeUndefined();
    snapshot = result ?? snapshot;
  }
  return snapshot;
}

describe('fleet snapshots and deltas', () => {
  it('a first snapshot of 1,000 devices arrives whole in bounded messages, then only what changed', () => {
    const differ = new FleetDiffer(SERVE_MAX_MESSAGE_BYTES);
    const mirror = new FleetMirror();
    const devices = Array.from({ length: 1000 }, (_, i) => device(i));
    const first = differ.diff(fleet(devices));
    expect(first.length).toBeGreaterThan(1);
    expect(first[0]?.reset).toBe(true);
    expect(first.slice(1).every((m) => !m.reset)).toBe(true);
    const snapshot = deliver(mirror, first);
    expect(snapshot?.devices).toEqual(devices.map(toWireDevice));
    expect(snapshot?.total).toBe(1000);
    expect(snapshot?.seq).toBe(1);

    // Nothing changed: no update at all.
    expect(differ.diff(fleet(devices))).toEqual([]);

    // Three change, one leaves, one joins: one small message with exactly those.
    const next = devices.slice(1);
    next[10] = device(11, { phase: 'uploading', progress: { sent: 4096, total: 48_000 } });
    next[20] = device(21, { phase: 'failed', error: 'the device refused the image: signature' });
    next[30] = device(31, {
      phase: 'done',
      version: '2.0.0',
      lastFeedback: { execution: 'closed', finished: 'success', details: ['confirmed'] },
    });
    next.push(device(5000));
    const delta = differ.diff(fleet(next));
    expect(delta).toHaveLength(1);
    expect(delta[0]?.reset).toBe(false);
    expect(delta[0]?.removed).toEqual([device(0).controllerId]);
    expect(delta[0]?.devices.map((d) => d.controllerId)).toEqual(
      [11, 21, 31, 5000].map((i) => device(i).controllerId),
    );
    const after = deliver(mirror, delta);
    expect(after?.seq).toBe(2);
    expect(new Map(after?.devices.map((d) => [d.controllerId, d]))).toEqual(
      new Map(next.map((d) => [d.controllerId, toWireDevice(d)])),
    );
  });

  it('long texts are cut, extra fields dropped, and more than MAX_FLEET_DEVICES devices are counted but not sent', () => {
    const long = 'x'.repeat(5000);
    const wire = toWireDevice({
      ...device(1, {
        error: long,
        lastFeedback: {
          execution: 'proceeding',
          finished: 'none',
          details: Array.from({ length: 20 }, (_, i) => `line ${i}`),
        },
      }),
      ...{ journal: 'not for the page' },
    } as FleetDeviceLike);
    expect(wire.error).toHaveLength(MAX_FLEET_TEXT);
    expect(wire.error?.endsWith('…')).toBe(true);
    expect(wire.lastFeedback?.details).toEqual(Array.from({ length: 8 }, (_, i) => `line ${i}`));
    expect(wire).not.toHaveProperty('journal');

    const many = Array.from({ length: MAX_FLEET_DEVICES + 5 }, (_, i) => device(i, { error: long }));
    const messages = new FleetDiffer(SERVE_MAX_MESSAGE_BYTES).diff(fleet(many));
    const snapshot = deliver(new FleetMirror(), messages);
    expect(snapshot?.devices).toHaveLength(MAX_FLEET_DEVICES);
    expect(snapshot?.total).toBe(MAX_FLEET_DEVICES + 5);
  });

  it('an empty fleet is a snapshot too', () => {
    const snapshot = deliver(new FleetMirror(), new FleetDiffer(SERVE_MAX_MESSAGE_BYTES).diff(fleet([])));
    expect(snapshot).toMatchObject({ devices: [], total: 0, seq: 1 });
  });

  it('the mirror refuses a stream out of order, in words', () => {
    const base = {
      type: 'fleet' as const,
      server: 's',
      startedAt: 0,
      total: 0,
      devices: [],
      removed: [],
    };
    expect(() => new FleetMirror().apply({ ...base, seq: 1, reset: false, last: true })).toThrow(
      new FleetStreamError('the first fleet update is not a whole snapshot'),
    );
    expect(() => new FleetMirror().apply({ ...base, seq: 2, reset: true, last: true })).toThrow(
      'fleet update 2 came after update 0: updates were lost or reordered',
    );
    const mirror = new FleetMirror();
    mirror.apply({ ...base, seq: 1, reset: true, last: false });
    expect(() => mirror.apply({ ...base, seq: 2, reset: false, last: true })).toThrow(
      'fleet update 2 began before update 1 ended: its parts were lost',
    );
  });

  it('the decoder names a bad device field', () => {
    const text = JSON.stringify({
      type: 'fleet',
      seq: 1,
      reset: true,
      last: true,
      server: 's',
      startedAt: 0,
      total: 1,
      devices: [{ controllerId: 'a', link: 'l', phase: 'dancing', updatedAt: 0 }],
      removed: [],
    });
    expect(() => decodeServerFrame(text)).toThrow('field "devices.0.phase": expected "idle" or "polling"');
  });
});
