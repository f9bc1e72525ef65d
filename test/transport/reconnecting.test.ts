import { describe, expect, it } from 'vitest';
import { LinkError } from '../../src/transport/link-error.ts';
import { createMemoryLink, type MemoryTransport } from '../../src/transport/memory.ts';
import { ReconnectingTransport } from '../../src/transport/reconnecting.ts';

describe('reconnecting transport', () => {
  it('reopens on the next send after the link was lost for good, and keeps its listeners', async () => {
    const devices: MemoryTransport[] = [];
    let opens = 0;
    const link = await ReconnectingTransport.open(async () => {
      opens++;
      const [host, device] = createMemoryLink({ mtu: 100 });
      devices.push(device);
      return host;
    });
    expect(link.mtu).toBe(100);
    const received: number[] = [];
    const errors: LinkError[] = [];
    link.onPacket((p) => received.push(p[0] ?? -1));
    link.onLinkError((e) => errors.push(e));
    devices[0]?.onPacket((p) => void devices[0]?.send(p));
    await link.send(Uint8Array.of(1));
    await new Promise((r) => setTimeout(r, 5));
    // The device resets: its end of the link fails for good.
    (link.current as MemoryTransport).failLink(new LinkError('disconnected', true));
    expect(errors).toHaveLength(1);
    // Not closed: a client keeps using the link, whose next request reconnects.
    expect(errors[0]?.closed).toBe(false);
    expect(errors[0]?.message).toMatch(/next request connects again/);
    expect(link.current).toBeUndefined();
    const sends = [link.send(Uint8Array.of(2)), link.send(Uint8Array.of(3))];
    await new Promise((r) => setTimeout(r, 0));
    devices[1]?.onPacket((p) => void devices[1]?.send(p));
    await Promise.all(sends);
    await new Promise((r) => setTimeout(r, 5));
    expect(opens).toBe(2); // one reopen for both waiting sends
    expect(link.reconnects).toBe(1);
    await link.close();
    await expect(link.send(Uint8Array.of(4))).rejects.toThrow(/closed/);
  });

  it('a failed reopen fails that send in words, and the next send tries again', async () => {
    let fail = false;
    const link = await ReconnectingTransport.open(async () => {
      if (fail) throw new Error('no device named "x" advertised within 1 s');
      return createMemoryLink()[0];
    });
    fail = true;
    (link.current as MemoryTransport).failLink(new LinkError('gone', true));
    await expect(link.send(Uint8Array.of(1))).rejects.toThrow(/advertised within 1 s/);
    fail = false;
    await expect(link.send(Uint8Array.of(1))).resolves.toBeUndefined();
    await link.close();
  });
});
