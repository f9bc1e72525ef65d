import { describe, expect, it } from 'vitest';
import { SmpReassembler } from '../../src/transport/smp-reassembler.ts';
import { seededRandom } from '../../src/util/seeded-random.ts';

/** Small seeded PRNG (mulberry32), so a failing case is reproducible from its seed; scaled to n. */
function prng(seed: number): (n: number) => number {
  const next = seededRandom(seed);
  return (n: number) => next() * n;
}

function packet(rand: (n: number) => number, op: number, maxBody: number): Uint8Array {
  const length = Math.floor(rand(maxBody + 1));
  const bytes = new Uint8Array(8 + length);
  bytes[0] = (Math.floor(rand(2)) << 3) | op;
  bytes[2] = length >> 8;
  bytes[3] = length & 0xff;
  bytes[4] = Math.floor(rand(256));
  bytes[6] = Math.floor(rand(256));
  bytes[7] = Math.floor(rand(256));
  for (let i = 8; i < bytes.length; i++) bytes[i] = Math.floor(rand(256));
  return bytes;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Cuts `stream` at random points (pieces of 1..maxPiece bytes). */
function split(rand: (n: number) => number, stream: Uint8Array, maxPiece: number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < stream.length; ) {
    const size = 1 + Math.floor(rand(maxPiece));
    pieces.push(stream.slice(at, at + size));
    at += size;
  }
  return pieces;
}

describe('SMP reassembler', () => {
  it('reassembles any split of any sequence of packets exactly (property, 500 cases)', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const rand = prng(seed);
      const packets = Array.from({ length: 1 + Math.floor(rand(8)) }, () =>
        packet(rand, rand(2) < 1 ? 1 : 3, rand(4) < 1 ? 1200 : 40),
      );
      const pieces = split(rand, concat(packets), 1 + Math.floor(rand(600)));
      const r = new SmpReassembler({ accept: 'responses' });
      const out = pieces.flatMap((piece, i) => r.push(piece, i));
      expect(out, `seed ${seed}`).toEqual(packets);
      expect(r.pending).toBe(0);
      expect(r.dropped).toEqual([]);
    }
  });

  it('drops a garbage piece between packets and resyncs on the next one (property, 300 cases)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rand = prng(seed * 7919);
      const packets = Array.from({ length: 2 + Math.floor(rand(5)) }, () => packet(rand, 1, 300));
      const pieces: Uint8Array[] = [];
      let garbage = 0;
      for (const p of packets) {
        // Zephyr starts each packet at a notification boundary; garbage arrives as whole pieces.
        if (rand(2) < 1) {
          const junk = new Uint8Array(1 + Math.floor(rand(100))).map(() => Math.floor(rand(256)));
          junk[0] = [0x00, 0x02, 0x20, 0x41, 0xff, 0x13][Math.floor(rand(6))] ?? 0xff; // no valid response op
          pieces.push(junk);
          garbage++;
        }
        pieces.push(...split(rand, p, 1 + Math.floor(rand(250))));
      }
      const r = new SmpReassembler({ accept: 'responses' });
      const out = pieces.flatMap((piece) => r.push(piece));
      expect(out, `seed ${seed}`).toEqual(packets);
      expect(r.dropped.filter((d) => d.kind === 'bad-header')).toHaveLength(Math.min(garbage, 16));
    }
  });

  it('refuses a header naming more than maxPacket bytes, holding nothing', () => {
    const r = new SmpReassembler({ accept: 'requests', maxPacket: 512 });
    const big = Uint8Array.of(0x0a, 0, 0x02, 0x00, 0, 1, 0, 0); // v2 write, 512-byte body
    expect(r.push(big)).toEqual([]);
    expect(r.pending).toBe(0);
    expect(r.dropped[0]).toMatchObject({ kind: 'bad-header' });
    expect(r.dropped[0]?.kind === 'bad-header' && r.dropped[0].detail).toMatch(/520-byte packet.*512/);
    // A request that fits still goes through.
    const ok = Uint8Array.of(0x0a, 0, 0, 2, 0, 0, 1, 0, 0xa0, 0xa0);
    expect(r.push(ok)).toEqual([ok]);
  });

  it('gives up a packet left unfinished for longer than staleMs', () => {
    const r = new SmpReassembler({ accept: 'responses', staleMs: 100 });
    const whole = Uint8Array.of(0x09, 0, 0, 4, 0, 0, 1, 0, 1, 2, 3, 4);
    expect(r.push(whole.subarray(0, 6), 0)).toEqual([]);
    expect(r.pending).toBe(6);
    // The rest never came; a new response 1 s later starts afresh.
    expect(r.push(whole, 1000)).toEqual([whole]);
    expect(r.dropped).toEqual([{ kind: 'stale', bytes: 6, expected: 12 }]);
  });

  it('keeps at most the last 16 drop records', () => {
    const r = new SmpReassembler({ accept: 'responses' });
    for (let i = 0; i < 100; i++) r.push(Uint8Array.of(0xff, i));
    expect(r.dropped).toHaveLength(16);
    expect(r.pending).toBe(0);
  });
});
