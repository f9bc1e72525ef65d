import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ByteLink } from '../../src/transport/byte-link.ts';
import { FramedSerialTransport } from '../../src/transport/framed-serial.ts';
import { LinkError } from '../../src/transport/link-error.ts';
import { encodeSerialFrame, SerialFrameDecoder } from '../../src/transport/serial-framing.ts';
import { Listeners } from '../../src/util/listeners.ts';

/** A byte link the test drives: it records writes and plays bytes, a close or a failing write. */
class FakeLink implements ByteLink {
  readonly written: Uint8Array[] = [];
  readonly data = new Listeners<Uint8Array>();
  readonly closes = new Listeners<Error | undefined>();
  failWrites: Error | undefined;
  closed = false;
  async write(bytes: Uint8Array): Promise<void> {
    if (this.failWrites) throw this.failWrites;
    this.written.push(bytes.slice());
  }
  onData(listener: (bytes: Uint8Array) => void): () => void {
    return this.data.add(listener);
  }
  onClose(listener: (error?: Error) => void): () => void {
    return this.closes.add(listener);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  play(text: string | Uint8Array): void {
    this.data.emit(typeof text === 'string' ? new TextEncoder().encode(text) : text);
  }
}

const packet = Uint8Array.from([2, 0, 0, 2, 0, 0, 1, 0, 0xa0, 0xa1]);

afterEach(() => {
  vi.useRealTimers();
});

describe('FramedSerialTransport over a byte link', () => {
  it('puts a newline before the first frame only, and frames as Zephyr does', async () => {
    const link = new FakeLink();
    const transport = new FramedSerialTransport(link, { where: 'test port' });
    await transport.send(packet);
    await transport.send(packet);
    expect(link.written[0]).toEqual(Uint8Array.from([0x0a, ...encodeSerialFrame(packet)]));
    expect(link.written[1]).toEqual(encodeSerialFrame(packet));
    const decoder = new SerialFrameDecoder();
    expect(decoder.push(link.written[1]!)).toEqual([{ kind: 'packet', packet }]);
    expect(transport.kind).toBe('serial');
    expect(transport.mtu).toBe(256);
  });

  it('passes packets, whole log lines, a prompt after the idle time, and bad frames', async () => {
    vi.useFakeTimers();
    const link = new FakeLink();
    const transport = new FramedSerialTransport(link, { where: 'test port', textFlushMs: 30 });
    const packets: Uint8Array[] = [];
    const texts: string[] = [];
    const bad: string[] = [];
    transport.onPacket((p) => packets.push(p));
    transport.onText((t) => texts.push(t));
    transport.onBadFrame((r) => bad.push(r));
    link.play('*** Booting Zephyr OS ***\r\n');
    link.play(encodeSerialFrame(packet));
    link.play('uart:~$ ');
    expect(packets).toEqual([packet]);
    expect(texts).toEqual(['*** Booting Zephyr OS ***']);
    vi.advanceTimersByTime(29);
    expect(texts).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(texts).toEqual(['*** Booting Zephyr OS ***', 'uart:~$ ']);
    const corrupt = encodeSerialFrame(packet);
    corrupt[5] = corrupt[5] === 0x41 ? 0x42 : 0x41;
    link.play(corrupt);
    expect(bad).toHaveLength(1);
    expect(packets).toHaveLength(1);
  });

  it('a link that ends under it fails later sends with one closed LinkError', async () => {
    const link = new FakeLink();
    const transport = new FramedSerialTransport(link, { where: 'test port' });
    const errors: LinkError[] = [];
    transport.onLinkError((e) => errors.push(e));
    link.closes.emit(new Error('device unplugged'));
    link.closes.emit(undefined);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(LinkError);
    expect(errors[0]!.closed).toBe(true);
    expect(errors[0]!.message).toBe('test port was closed: device unplugged');
    await expect(transport.send(packet)).rejects.toBe(errors[0]);
  });

  it('keeps a LinkError the link worded itself', async () => {
    const link = new FakeLink();
    const transport = new FramedSerialTransport(link, { where: 'test port' });
    const errors: LinkError[] = [];
    transport.onLinkError((e) => errors.push(e));
    const own = new LinkError('test port hung up', true);
    link.closes.emit(own);
    expect(errors).toEqual([own]);
  });

  it('a failing write ends the link in words', async () => {
    const link = new FakeLink();
    const transport = new FramedSerialTransport(link, { where: 'test port' });
    const errors: LinkError[] = [];
    transport.onLinkError((e) => errors.push(e));
    link.failWrites = new Error('EIO');
    const failure = await transport.send(packet).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(LinkError);
    expect((failure as Error).message).toBe('test port failed while writing: EIO');
    expect(errors).toEqual([failure]);
    link.failWrites = undefined;
    await expect(transport.send(packet)).rejects.toBe(failure);
  });

  it('close releases the link, flushes the partial line, and ignores the link afterwards', async () => {
    const link = new FakeLink();
    const transport = new FramedSerialTransport(link, { where: 'test port' });
    const texts: string[] = [];
    const errors: LinkError[] = [];
    transport.onText((t) => texts.push(t));
    transport.onLinkError((e) => errors.push(e));
    link.play('partial');
    await transport.close();
    expect(texts).toEqual(['partial']);
    expect(link.closed).toBe(true);
    expect(link.data.size).toBe(0);
    expect(link.closes.size).toBe(0);
    link.closes.emit(new Error('late'));
    expect(errors).toEqual([]);
    await expect(transport.send(packet)).rejects.toThrow('test port is closed');
  });
});
