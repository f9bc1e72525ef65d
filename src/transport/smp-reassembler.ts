/**
 * Joins SMP packets that a link delivers in pieces: Zephyr's smp_bt.c splits a response larger
 * than one notification into notifications of ATT_MTU − 3 bytes with no framing of their own, so
 * the receiver takes the packet's length from its 8-byte header (total = 8 + Data Length) and
 * collects until it has that many bytes. Several packets may also arrive back to back.
 *
 * Bad input is bounded: a piece that cannot start a packet (its header names an op the receiver
 * does not expect, reserved bits set, an unknown version, or a length over `maxPacket`) is dropped
 * up to the end of that piece, because Zephyr starts every packet at a piece boundary; a packet
 * left unfinished for longer than `staleMs` is dropped when the next piece comes. Nothing held
 * here ever exceeds `maxPacket` bytes. Pure: no Node imports.
 */
import { SMP_HEADER_SIZE } from '../smp/header.ts';

export type ReassemblyDrop =
  | { readonly kind: 'bad-header'; readonly bytes: number; readonly detail: string }
  | { readonly kind: 'stale'; readonly bytes: number; readonly expected: number };

export interface SmpReassemblerOptions {
  /** Which ops may start a packet: 'responses' (ops 1, 3) for a client, 'requests' (0, 2) for a device. */
  readonly accept: 'responses' | 'requests';
  /** Largest whole packet (header + body) accepted; default 8 + 65535, all a header can name. */
  readonly maxPacket?: number;
  /** A packet unfinished for this long is given up when the next piece arrives; default 5000 ms. */
  readonly staleMs?: number;
}

export const MAX_SMP_PACKET = SMP_HEADER_SIZE + 0xffff;

export class SmpReassembler {
  private readonly maxPacket: number;
  private readonly staleMs: number;
  private readonly accept: 'responses' | 'requests';
  /** Bytes of the packet being collected (its first bytes), or empty. */
  private partial = new Uint8Array(0);
  private lastPieceAt = 0;
  /** Dropped pieces and bytes, for diagnostics. */
  readonly dropped: ReassemblyDrop[] = [];
  private static readonly DROP_LOG = 16;

  constructor(options: SmpReassemblerOptions) {
    this.accept = options.accept;
    this.maxPacket = Math.min(options.maxPacket ?? MAX_SMP_PACKET, MAX_SMP_PACKET);
    if (this.maxPacket < SMP_HEADER_SIZE) throw new RangeError(`maxPacket ${this.maxPacket} < 8`);
    this.staleMs = options.staleMs ?? 5000;
  }

  /** Bytes held for a packet not yet complete. */
  get pending(): number {
    return this.partial.length;
  }

  /** Forgets a partial packet (the link dropped, a request timed out). */
  reset(): void {
    this.partial = new Uint8Array(0);
  }

  /** Takes one piece (a notification, a write); returns the packets it completes, in order. */
  push(piece: Uint8Array, nowMs = 0): Uint8Array[] {
    if (this.partial.length > 0 && nowMs - this.lastPieceAt > this.staleMs) {
      this.drop({ kind: 'stale', bytes: this.partial.length, expected: this.expected(this.partial) });
      this.partial = new Uint8Array(0);
    }
    this.lastPieceAt = nowMs;
    const packets: Uint8Array[] = [];
    let data = this.partial.length > 0 ? concat(this.partial, piece) : piece;
    this.partial = new Uint8Array(0);
    while (data.length > 0) {
      if (data.length < SMP_HEADER_SIZE) {
        // Only a packet's first bytes: judge what we can of the header now, the rest later.
        const problem = this.headerProblem(data);
        if (problem !== undefined) return this.dropRest(packets, data, problem);
        this.partial = data.slice();
        return packets;
      }
      const problem = this.headerProblem(data);
      if (problem !== undefined) return this.dropRest(packets, data, problem);
      const total = this.expected(data);
      if (data.length < total) {
        this.partial = data.slice();
        return packets;
      }
      packets.push(data.slice(0, total));
      data = data.subarray(total);
    }
    return packets;
  }

  private dropRest(packets: Uint8Array[], data: Uint8Array, detail: string): Uint8Array[] {
    // Zephyr starts every packet at a piece boundary: what is left of this piece cannot hold one.
    this.drop({ kind: 'bad-header', bytes: data.length, detail });
    return packets;
  }

  private drop(event: ReassemblyDrop): void {
    this.dropped.push(event);
    if (this.dropped.length > SmpReassembler.DROP_LOG) this.dropped.shift();
  }

  private expected(data: Uint8Array): number {
    return data.length < 4 ? 0 : SMP_HEADER_SIZE + (((data[2] ?? 0) << 8) | (data[3] ?? 0));
  }

  /** Why `data` cannot start a packet, judging only the header bytes it has; undefined if it can. */
  private headerProblem(data: Uint8Array): string | undefined {
    const first = data[0] ?? 0;
    const op = first & 0b111;
    const version = (first >> 3) & 0b11;
    if (first >> 5 !== 0) return `reserved bits set in the first header byte 0x${hex(first)}`;
    if (version > 1) return `unknown SMP version ${version + 1}`;
    const wanted = this.accept === 'responses' ? op === 1 || op === 3 : op === 0 || op === 2;
    if (!wanted) return `op ${op} is not a ${this.accept === 'responses' ? 'response' : 'request'}`;
    if (data.length >= 4) {
      const total = this.expected(data);
      if (total > this.maxPacket)
        return `header names a ${total}-byte packet, more than the ${this.maxPacket} allowed`;
    }
    return undefined;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
