/**
 * A firmware's fatal error on the virtual board, as Zephyr handles it: upstream's handler halts the
 * whole system (SMP included) until a reset; with CONFIG_RESET_ON_FATAL_ERROR it reboots, and
 * MCUboot reverts an unconfirmed test image.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getBoard } from '../../src/device/boards/index.ts';
import { encodePacket } from '../../src/smp/codec.ts';
import { encodeSerialFrame, SerialFrameDecoder } from '../../src/transport/serial-framing.ts';
import { waitFor } from '../firmware/helpers.ts';
import { imageHash, signedFixture } from '../helpers/signed-fixture.ts';
import { type BootedDevice, bootDevice } from './server/fixtures.ts';

const echo = encodePacket({ version: 2, op: 2, flags: 0, group: 0, sequence: 7, command: 0 }, { d: 'hi' });

let booted: BootedDevice | undefined;

afterEach(async () => {
  await booted?.close();
  booted = undefined;
});

/** SMP packets the device sends on its UART within `ms` after `echo` arrives on RX. */
async function uartAnswers(b: BootedDevice, ms: number): Promise<number> {
  const decoder = new SerialFrameDecoder();
  let packets = 0;
  const stop = b.device.onUart((bytes) => {
    packets += decoder.push(bytes).filter((event) => event.kind === 'packet').length;
  });
  b.device.uartReceive(encodeSerialFrame(echo));
  await new Promise((resolve) => setTimeout(resolve, ms));
  stop();
  return packets;
}

describe('a fatal error on a board with upstream Zephyr (halt)', () => {
  it('halts at start: the fatal lines on the console, no SMP on UDP or the UART', async () => {
    booted = await bootDevice({ slot0: await signedFixture('crash-at-start', '3.0.0') });
    const b = booted;
    await waitFor(() => b.consoleLines.some((line) => line.endsWith('Halting system')));
    expect(b.device.state).toBe('halted');
    expect(b.consoleLines.some((line) => line.includes('>>> ZEPHYR FATAL ERROR 0: CPU exception'))).toBe(
      true,
    );
    expect(b.consoleLines.some((line) => line.includes('sensor table index 7 out of range'))).toBe(true);
    expect(await b.device.handleDatagram(echo)).toEqual([]);
    expect(await uartAnswers(b, 300)).toBe(0);
    await expect(b.client.echo('hi', { timeoutMs: 300 })).rejects.toThrow(/no response from the device/);

    // The reset button brings it back through MCUboot (here into the same crash).
    b.consoleLines.length = 0;
    await b.reset();
    await waitFor(() => b.consoleLines.some((line) => line.endsWith('Halting system')));
    expect(b.consoleLines.some((line) => line.includes('Jumping to the first image slot'))).toBe(true);
  });

  it('halts when the firmware crashes later: SMP answered before and stops with the crash', async () => {
    booted = await bootDevice({ slot0: await signedFixture('crash-after-sleep', '3.0.0') });
    const b = booted;
    await waitFor(() => b.consoleLines.some((line) => line.endsWith('Halting system')));
    expect(b.consoleLines.some((line) => line.includes('late failure'))).toBe(true);
    expect(b.device.state).toBe('halted');
    expect(b.device.firmware?.status()).toBe('halted');
    expect(await b.device.handleDatagram(echo)).toEqual([]);
    expect(await uartAnswers(b, 300)).toBe(0);
  });

  it('a healthy firmware keeps answering on both links', async () => {
    booted = await bootDevice();
    await booted.appStarted();
    expect(booted.device.state).toBe('running');
    expect(await booted.device.handleDatagram(echo)).toHaveLength(1);
    expect(await uartAnswers(booted, 300)).toBe(1);
  });
});

describe('a fatal error on a board built with CONFIG_RESET_ON_FATAL_ERROR', () => {
  const board = { ...getBoard('stm32f4_disco'), app: { resetOnFatalError: true } };

  it('reboots through MCUboot, which reverts the unconfirmed test image', async () => {
    booted = await bootDevice({ board });
    const b = booted;
    const crash = await signedFixture('crash-at-start', '3.0.0');
    b.device.programSlot(1, crash);
    await b.client.imageTest(imageHash(crash));
    b.consoleLines.length = 0;
    await b.reset();
    await waitFor(() => b.consoleLines.some((line) => line.includes('Swap type: revert')), 5000);
    await b.appStarted();
    const lines = b.consoleLines.join('\n');
    expect(lines).toContain('Swap type: test');
    expect(lines).toMatch(/<err> fatal_error: Resetting system/);
    expect(lines).not.toContain('Halting system');
    expect(lines.indexOf('Resetting system')).toBeLessThan(lines.indexOf('Swap type: revert'));
    expect(b.device.state).toBe('running');
    const state = await b.client.imageList();
    expect(state.images.find((i) => i.slot === 0)).toMatchObject({
      version: '1.0.0',
      active: true,
      confirmed: true,
    });
    expect(state.images.find((i) => i.slot === 1)).toMatchObject({ version: '3.0.0', pending: false });
  });
});
