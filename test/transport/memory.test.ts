import { describe, expect, it } from 'vitest';
import { createMemoryLink } from '../../src/transport/memory.ts';

describe('memory link', () => {
  it('delivers copies to the other end asynchronously and stops after close', async () => {
    const [a, b] = createMemoryLink({ mtu: 99 });
    expect(a.mtu).toBe(99);
    const received: Uint8Array[] = [];
    b.onPacket((packet) => received.push(packet));
    const sent = Uint8Array.of(1, 2, 3);
    const sending = a.send(sent);
    expect(received).toHaveLength(0);
    await sending;
    await Promise.resolve();
    expect(received).toEqual([Uint8Array.of(1, 2, 3)]);
    sent[0] = 9;
    expect(received[0]?.[0]).toBe(1);
    const texts: string[] = [];
    a.onText((text) => texts.push(text));
    a.emitText('log');
    expect(texts).toEqual(['log']);
    await a.close();
    await expect(a.send(sent)).rejects.toThrow(/closed/);
  });
});
