/**
 * SMP over a console UART, as Zephyr frames it. A packet travels as lines:
 *   0x06 0x09 <base64> '\n'   first line
 *   0x04 0x14 <base64> '\n'   continuation lines
 * The base64 text of all lines decodes to [length BE u16 = packet + 2][packet][CRC-16/XMODEM BE].
 * Pure module: no Node imports.
 */

const START_MARKER = [0x06, 0x09] as const;
const CONTINUATION_MARKER = [0x04, 0x14] as const;
const NEWLINE = 0x0a;

/** Zephyr MCUMGR_SERIAL_MAX_FRAME: one line including marker and newline. */
export const SERIAL_MAX_LINE = 127;
/** Raw bytes one line can carry: 124 base64 characters. */
const RAW_PER_LINE = ((SERIAL_MAX_LINE - 3) >> 2) * 3;
/** The length field is two bytes, so a packet can be at most 0xffff - 2 bytes. */
export const SERIAL_MAX_PACKET = 0xffff - 2;
/** A console line longer than this without a newline is handed on as text to bound memory. */
const MAX_PENDING_LINE = 8192;

/** CRC-16/XMODEM (poly 0x1021, init 0, no reflection): Zephyr's crc16_itu_t(0, ...). */
export function crc16Xmodem(data: Uint8Array, seed = 0): number {
  let crc = seed;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Int16Array(256).fill(-1);
for (let i = 0; i < B64.length; i++) B64_VALUE[B64.charCodeAt(i)] = i;

/** Base64 of one group of 1..3 bytes, as ASCII codes (padded to 4 characters). */
function pushGroup(out: number[], group: ArrayLike<number>): void {
  const b0 = group[0] ?? 0;
  const b1 = group[1] ?? 0;
  const b2 = group[2] ?? 0;
  out.push(B64.charCodeAt(b0 >> 2), B64.charCodeAt(((b0 & 3) << 4) | (b1 >> 4)));
  out.push(group.length > 1 ? B64.charCodeAt(((b1 & 15) << 2) | (b2 >> 6)) : 0x3d);
  out.push(group.length > 2 ? B64.charCodeAt(b2 & 63) : 0x3d);
}

/**
 * Decodes one line's base64 text. Trailing CR and spaces are ignored (Zephyr does the same);
 * anything else invalid, or data after padding, returns an error text.
 */
export function decodeBase64Line(chars: Uint8Array): Uint8Array | string {
  let end = chars.length;
  while (end > 0 && (chars[end - 1] === 0x0d || chars[end - 1] === 0x20)) end--;
  if (end % 4 !== 0) return `base64 text length ${end} is not a multiple of 4`;
  const out = new Uint8Array((end / 4) * 3);
  let length = 0;
  for (let i = 0; i < end; i += 4) {
    const c0 = B64_VALUE[chars[i] ?? 0] ?? -1;
    const c1 = B64_VALUE[chars[i + 1] ?? 0] ?? -1;
    const pad2 = chars[i + 2] === 0x3d;
    const pad3 = chars[i + 3] === 0x3d;
    const c2 = pad2 ? 0 : (B64_VALUE[chars[i + 2] ?? 0] ?? -1);
    const c3 = pad3 ? 0 : (B64_VALUE[chars[i + 3] ?? 0] ?? -1);
    if (c0 < 0 || c1 < 0 || c2 < 0 || c3 < 0 || (pad2 && !pad3))
      return `invalid base64 character near column ${i}`;
    if ((pad2 || pad3) && i + 4 !== end) return 'base64 padding followed by more data';
    out[length++] = (c0 << 2) | (c1 >> 4);
    if (!pad2) out[length++] = ((c1 & 15) << 4) | (c2 >> 2);
    if (!pad3) out[length++] = ((c2 & 3) << 6) | c3;
  }
  return out.subarray(0, length);
}

/**
 * Frames one SMP packet as Zephyr's mcumgr_serial_tx_pkt does: 3 raw bytes per base64 group, each
 * line at most 93 raw bytes (124 characters), and the CRC never split across lines: when the data
 * would fill a line so that the CRC cannot follow on it, one data group is held back for the next
 * line. Returns one Uint8Array per line (marker … '\n').
 */
export function encodeSerialLines(packet: Uint8Array): Uint8Array[] {
  if (packet.length > SERIAL_MAX_PACKET) {
    throw new RangeError(
      `SMP packet of ${packet.length} bytes is too large for serial framing (max ${SERIAL_MAX_PACKET})`,
    );
  }
  const crc = crc16Xmodem(packet);
  const crcBytes = [crc >> 8, crc & 0xff];
  const total = packet.length + 2;
  const lines: Uint8Array[] = [];
  let offset = 0;
  let first = true;
  let done = false;
  while (!done) {
    const line: number[] = [...(first ? START_MARKER : CONTINUATION_MARKER)];
    let budget = RAW_PER_LINE;
    if (first) {
      // The first group is the two length bytes plus the first packet byte (or the CRC's high byte).
      const group =
        packet.length > 0
          ? [total >> 8, total & 0xff, packet[0] ?? 0]
          : [total >> 8, total & 0xff, crcBytes[0] ?? 0];
      pushGroup(line, group);
      offset = packet.length > 0 ? 1 : 0;
      budget -= 3;
      if (packet.length === 0) {
        pushGroup(line, [crcBytes[1] ?? 0]);
        done = true;
      }
    }
    if (!done) {
      const remaining = packet.length - offset;
      const slack = budget - remaining;
      // Room for the whole remainder plus the CRC: this is the last line.
      const last = slack >= 2;
      let toSend = Math.min(budget, remaining) - (slack === 0 || slack === 1 ? 1 : 0);
      while (toSend >= 3) {
        pushGroup(line, packet.subarray(offset, offset + 3));
        offset += 3;
        toSend -= 3;
      }
      if (last) {
        const tail = [...packet.subarray(offset), ...crcBytes];
        offset = packet.length;
        pushGroup(line, tail.slice(0, 3));
        if (tail.length > 3) pushGroup(line, tail.slice(3));
        done = true;
      }
    }
    line.push(NEWLINE);
    lines.push(Uint8Array.from(line));
    first = false;
  }
  return lines;
}

/** All lines of one packet, concatenated, ready to write to the UART. */
export function encodeSerialFrame(packet: Uint8Array): Uint8Array {
  const lines = encodeSerialLines(packet);
  const out = new Uint8Array(lines.reduce((sum, line) => sum + line.length, 0));
  let offset = 0;
  for (const line of lines) {
    out.set(line, offset);
    offset += line.length;
  }
  return out;
}

export type SerialEvent =
  | { readonly kind: 'packet'; readonly packet: Uint8Array }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'bad-frame'; readonly reason: string };

function findMarker(bytes: number[], from: number): number {
  for (let i = from; i + 1 < bytes.length; i++) {
    const a = bytes[i];
    const b = bytes[i + 1];
    if ((a === 0x06 && b === 0x09) || (a === 0x04 && b === 0x14)) return i;
  }
  return -1;
}

/** Index of the last start marker (0x06 0x09) at or after `from`, or -1. */
function findLastStart(bytes: number[], from: number): number {
  for (let i = bytes.length - 2; i >= from; i--) {
    if (bytes[i] === 0x06 && bytes[i + 1] === 0x09) return i;
  }
  return -1;
}

/**
 * Streaming receiver. Feed arbitrary chunks; it separates SMP frames from console text (log lines,
 * MCUboot banners) that share the UART, even when a frame starts in the middle of a text line.
 */
export class SerialFrameDecoder {
  private line: number[] = [];
  /** Decoded bytes of the packet in progress (length field included), or undefined. */
  private packet: number[] | undefined;
  private expected = 0;
  private readonly textDecoder = new TextDecoder();

  /**
   * `resync`: a start marker in the middle of a frame line restarts decoding there (what a client
   * wants). Off by default, as in Zephyr's receiver, which decodes the whole line and drops it.
   */
  constructor(private readonly options: { readonly resync?: boolean } = {}) {}

  /** Processes a chunk and returns the events it completed, in order. */
  push(chunk: Uint8Array): SerialEvent[] {
    const events: SerialEvent[] = [];
    for (const byte of chunk) {
      if (byte === NEWLINE) {
        this.endLine(events);
        continue;
      }
      this.line.push(byte);
      if (this.line.length > MAX_PENDING_LINE) this.endLine(events);
    }
    return events;
  }

  /**
   * Emits console text still waiting for its newline (a shell prompt, say) unless it may be the
   * start of a frame. Transports call this when the line goes quiet.
   */
  flushText(): SerialEvent[] {
    if (this.line.length === 0) return [];
    const markerAt = findMarker(this.line, 0);
    const last = this.line[this.line.length - 1];
    if (markerAt >= 0) {
      const before = this.line.splice(0, markerAt);
      return before.length > 0 ? [this.textEvent(before)] : [];
    }
    // A trailing 0x06 / 0x04 may be the first half of a marker; keep it.
    const keep = last === 0x06 || last === 0x04 ? 1 : 0;
    const text = this.line.splice(0, this.line.length - keep);
    return text.length > 0 ? [this.textEvent(text)] : [];
  }

  /** Drops any partial line and packet (e.g. after reopening the port). */
  reset(): void {
    this.line = [];
    this.packet = undefined;
  }

  private textEvent(bytes: number[]): SerialEvent {
    let end = bytes.length;
    if (bytes[end - 1] === 0x0d) end--;
    return { kind: 'text', text: this.textDecoder.decode(Uint8Array.from(bytes.slice(0, end))) };
  }

  private endLine(events: SerialEvent[]): void {
    const line = this.line;
    this.line = [];
    const markerAt = findMarker(line, 0);
    if (markerAt < 0) {
      events.push(this.textEvent(line));
      return;
    }
    if (markerAt > 0) events.push(this.textEvent(line.slice(0, markerAt)));
    // Base64 text never holds 0x06, so a start marker later in the line means the line before it
    // was cut off (a device reset mid-frame, bytes left from an earlier session): resynchronise on
    // the new frame instead of losing it with the broken one.
    const restartAt = this.options.resync === true ? findLastStart(line, markerAt + 2) : -1;
    if (restartAt >= 0) {
      this.packet = undefined;
      events.push({ kind: 'bad-frame', reason: 'a frame was cut off: a new frame started in its line' });
      this.frameLine(true, Uint8Array.from(line.slice(restartAt + 2)), events);
      return;
    }
    this.frameLine(line[markerAt] === 0x06, Uint8Array.from(line.slice(markerAt + 2)), events);
  }

  private frameLine(isStart: boolean, base64: Uint8Array, events: SerialEvent[]): void {
    if (isStart) {
      if (this.packet !== undefined) {
        events.push({ kind: 'bad-frame', reason: 'incomplete packet abandoned: a new start frame arrived' });
      }
      this.packet = [];
      this.expected = -1;
    } else if (this.packet === undefined) {
      events.push({ kind: 'bad-frame', reason: 'continuation frame without a packet in progress' });
      return;
    }
    const decoded = decodeBase64Line(base64);
    if (typeof decoded === 'string') {
      this.packet = undefined;
      events.push({ kind: 'bad-frame', reason: decoded });
      return;
    }
    const packet = this.packet;
    for (const byte of decoded) packet.push(byte);
    if (this.expected < 0) {
      if (packet.length < 2) {
        this.packet = undefined;
        events.push({ kind: 'bad-frame', reason: 'start frame too short to hold the length field' });
        return;
      }
      this.expected = ((packet[0] ?? 0) << 8) | (packet[1] ?? 0);
      if (this.expected < 2) {
        this.packet = undefined;
        events.push({
          kind: 'bad-frame',
          reason: `length field ${this.expected} is too small to hold the CRC`,
        });
        return;
      }
    }
    const received = packet.length - 2;
    if (received < this.expected) return;
    this.packet = undefined;
    if (received > this.expected) {
      events.push({
        kind: 'bad-frame',
        reason: `length overrun: frame announces ${this.expected} bytes, ${received} arrived`,
      });
      return;
    }
    const body = Uint8Array.from(packet.slice(2));
    if (crc16Xmodem(body) !== 0) {
      events.push({ kind: 'bad-frame', reason: 'CRC mismatch' });
      return;
    }
    events.push({ kind: 'packet', packet: body.slice(0, body.length - 2) });
  }
}
