import { describe, expect, it } from 'vitest';
import { slotPartition } from '../../../src/device/boards/board.ts';
import { getBoard } from '../../../src/device/boards/index.ts';
import { VirtualDevice } from '../../../src/device/device.ts';
import { generateKey } from '../../../src/image/keys.ts';
import { decodePacket, encodePacket } from '../../../src/smp/codec.ts';
import { encodeHeader } from '../../../src/smp/header.ts';
import { blinky, bootDevice, devKeys } from './fixtures.ts';

const echo = encodePacket({ version: 2, op: 2, flags: 0, group: 0, sequence: 1, command: 0 }, { d: 'hi' });

describe('VirtualDevice: no SMP answers unless an app is running', () => {
  it('halts with an empty slot 0: MCUboot finds nothing to boot and SMP stays silent', async () => {
    const device = new VirtualDevice({ board: getBoard('stm32f4_disco'), bootloaderKeys: await devKeys() });
    const lines: string[] = [];
    device.onConsoleLine((line) => lines.push(line));
    const boot = await device.powerOn();
    expect(boot.booted).toBe(false);
    expect(device.state).toBe('halted');
    expect(lines).toContain('E: Unable to find bootable image');
    expect(await device.handleDatagram(echo)).toEqual([]);
    await device.powerOff();
  });

  it('halts when slot 0 holds an image signed with a key MCUboot does not know', async () => {
    const { key } = await generateKey('rsa-2048');
    const device = new VirtualDevice({ board: getBoard('stm32f4_disco'), bootloaderKeys: [key.publicKey] });
    device.programSlot(0, await blinky('blinky-one'));
    const boot = await device.powerOn();
    expect(boot.booted).toBe(false);
    expect(boot.reason).toMatch(/key/);
    expect(device.state).toBe('halted');
    expect(await device.handleDatagram(echo)).toEqual([]);
    await device.powerOff();
  });

  it('refuses a signature-checking board without bootloader keys instead of booting anything', () => {
    expect(() => new VirtualDevice({ board: getBoard('stm32f4_disco'), bootloaderKeys: [] })).toThrow(
      /needs at least one bootloader key/,
    );
    // A hash-only MCUboot (esp32 board) needs none.
    expect(
      () => new VirtualDevice({ board: getBoard('esp32_devkitc_wroom'), bootloaderKeys: [] }),
    ).not.toThrow();
  });

  it('answers while running and goes silent after power-off', async () => {
    const device = new VirtualDevice({ board: getBoard('stm32f4_disco'), bootloaderKeys: await devKeys() });
    device.programSlot(0, await blinky('blinky-one'));
    expect((await device.powerOn()).booted).toBe(true);
    expect(await device.handleDatagram(echo)).toHaveLength(1);
    await device.powerOff();
    expect(device.state).toBe('off');
    expect(await device.handleDatagram(echo)).toEqual([]);
  });

  it('refuses to program an image larger than the slot', async () => {
    const device = new VirtualDevice({ board: getBoard('stm32f4_disco'), bootloaderKeys: await devKeys() });
    expect(() => device.programSlot(1, new Uint8Array(slotPartition(device.board, 1).size + 1))).toThrow(
      /does not fit slot1_partition/,
    );
  });
});

describe('VirtualDevice: SMP waits for the app, as on Zephyr', () => {
  it("answers stat show right after boot with the app's stats group (main ran first)", async () => {
    const booted = await bootDevice();
    try {
      // No waiting for the app: main() outranks the SMP work queue, so its stats already exist.
      const stats = await booted.client.statShow('smp_server_stats');
      expect(Object.keys(stats.fields)).toEqual(['counter_stat']);
      await booted.reset();
      const afterReset = await booted.client.statShow('smp_server_stats');
      expect(afterReset.name).toBe('smp_server_stats');
    } finally {
      await booted.close();
    }
  });
});

describe('VirtualDevice: payloads of handlers that never read their request', () => {
  it('answers a zero-byte image list and params, but a zero-byte echo is EINVAL', async () => {
    const booted = await bootDevice();
    try {
      const bare = (group: number, command: number, op: number) =>
        encodeHeader({ version: 2, op, flags: 0, length: 0, group, sequence: 7, command });
      const [list] = await booted.device.handleDatagram(bare(1, 0, 0));
      expect(decodePacket(list!).body).toMatchObject({ images: [{ slot: 0, version: '1.0.0' }] });
      const [params] = await booted.device.handleDatagram(bare(0, 6, 0));
      expect(decodePacket(params!).body).toEqual({ buf_size: 384, buf_count: 4 });
      const [echoReply] = await booted.device.handleDatagram(bare(0, 0, 2));
      expect(decodePacket(echoReply!).body).toMatchObject({ rc: 3 });
    } finally {
      await booted.close();
    }
  });
});

describe('VirtualDevice: an upload chunk without "data"', () => {
  it('is a zero-byte chunk, so a first chunk is refused as a malformed header (image err 22)', async () => {
    const booted = await bootDevice();
    try {
      const request = encodePacket(
        { version: 2, op: 2, flags: 0, group: 1, sequence: 3, command: 1 },
        { off: 0, len: 4096 },
      );
      const [reply] = await booted.device.handleDatagram(request);
      expect(decodePacket(reply!).body).toMatchObject({ err: { group: 1, rc: 22 } });
    } finally {
      await booted.close();
    }
  });
});

describe('VirtualDevice: a datagram larger than one netbuf', () => {
  it('gets no answer, while one that fits does', async () => {
    const booted = await bootDevice();
    try {
      const netbuf = booted.device.smpBuild.netbufSize;
      const header = { version: 2 as const, op: 2, flags: 0, group: 0, sequence: 4, command: 0 };
      const overhead = encodePacket(header, { d: '' }).length;
      const fits = encodePacket(header, { d: 'x'.repeat(netbuf - overhead - 2) });
      expect(fits.length).toBeLessThanOrEqual(netbuf);
      expect(await booted.device.handleDatagram(fits)).toHaveLength(1);
      const tooBig = encodePacket(header, { d: 'x'.repeat(netbuf) });
      expect(await booted.device.handleDatagram(tooBig)).toEqual([]);
    } finally {
      await booted.close();
    }
  });
});
