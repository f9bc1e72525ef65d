/**
 * The Web Bluetooth bridge itself (support/web-bluetooth-bridge.ts): plain Web Bluetooth calls in
 * the page, as an app makes them, reach a virtual nrf52840dk's SMP endpoint through Chromium's
 * BluetoothEmulation. Raw SMP bytes, so a fault here is the bridge's, not the library's: the
 * chooser is answered once, an echo written without response comes back as real
 * `characteristicvaluechanged` events (a response longer than one notification in several), and
 * simulateGATTDisconnection reaches the page as `gattserverdisconnected`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodePacket, encodePacket } from '../../src/smp/codec.ts';
import { SmpOp } from '../../src/smp/header.ts';
import { type BleBoard, startBleBoard } from './support/ble-board.ts';
import { launchChromium, TestPage } from './support/chromium.ts';
import { PAGES_DIR } from './support/page-bundle.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';
import { SMP_CHARACTERISTIC, SMP_SERVICE, WebBluetoothBridge } from './support/web-bluetooth-bridge.ts';

let browser: Browser;
let server: StaticServer;
let session: TestPage | undefined;
let board: BleBoard | undefined;
let bridge: WebBluetoothBridge | undefined;

beforeAll(async () => {
  const dir = join(PAGES_DIR, 'blank-ble');
  mkdirSync(dir, { recursive: true });
  // The page's code is what an app writes: chooser on a click, connect, subscribe.
  writeFileSync(
    join(dir, 'index.html'),
    `<!doctype html><title>ble</title><button id="connect">Connect</button><script>
window.values = []; window.events = [];
document.getElementById('connect').onclick = async () => {
  try {
    const device = await navigator.bluetooth.requestDevice({ filters: [{ services: ['${SMP_SERVICE}'] }] });
    device.addEventListener('gattserverdisconnected', () => window.events.push('gattserverdisconnected'));
    const server = await device.gatt.connect();
    const service = await server.getPrimaryService('${SMP_SERVICE}');
    const ch = await service.getCharacteristic('${SMP_CHARACTERISTIC}');
    ch.addEventListener('characteristicvaluechanged', (e) =>
      window.values.push(Array.from(new Uint8Array(e.target.value.buffer, e.target.value.byteOffset, e.target.value.byteLength))));
    await ch.startNotifications();
    window.ch = ch; window.device = device; window.ready = 'ready';
  } catch (e) { window.ready = e.name + ': ' + e.message; }
};
</script>`,
  );
  [browser, server] = await Promise.all([launchChromium(), startStaticServer(dir)]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

afterEach(async () => {
  await bridge?.close();
  await board?.close();
  session?.assertNoErrors();
  await session?.close();
  bridge = undefined;
  board = undefined;
  session = undefined;
});

function echoPacket(text: string, sequence: number): number[] {
  return [
    ...encodePacket({ version: 2, op: SmpOp.Write, flags: 0, group: 0, sequence, command: 0 }, { d: text }),
  ];
}

describe('Web Bluetooth through BluetoothEmulation, bridged to a virtual board', () => {
  it('connects through the chooser, and an echo comes back as notifications', async () => {
    board = await startBleBoard('nrf52840dk');
    session = await TestPage.open(browser);
    bridge = await WebBluetoothBridge.attach(browser, session.page, board, { name: 'zdfu nrf52840dk' });
    const { page } = session;
    await page.goto(`${server.origin}/`);
    await page.click('#connect');
    await page.waitForFunction(() => 'ready' in window);
    expect(await page.evaluate(() => (window as unknown as { ready: string }).ready)).toBe('ready');
    expect(await page.evaluate(() => (window as unknown as { device: BluetoothDevice }).device.name)).toBe(
      'zdfu nrf52840dk',
    );

    // 600 characters: the request is two writes, the answer (≈ 610 bytes) two notifications at
    // ATT MTU 498.
    const long = 'x'.repeat(600);
    for (const [sequence, text] of [
      [1, 'hello'],
      [2, long],
    ] as const) {
      const before = await page.evaluate(() => (window as unknown as { values: number[][] }).values.length);
      // Web Bluetooth refuses values over 512 bytes: a long request goes as several writes, which
      // the device's smp_reassembly joins by the header's length.
      await page.evaluate(
        async (bytes) => {
          const ch = (window as unknown as { ch: BluetoothRemoteGATTCharacteristic }).ch;
          for (let at = 0; at < bytes.length; at += 495) {
            await ch.writeValueWithoutResponse(new Uint8Array(bytes.slice(at, at + 495)));
          }
        },
        echoPacket(text, sequence),
      );
      const header = await page.waitForFunction((n) => {
        const values = (window as unknown as { values: number[][] }).values.slice(n);
        const all = values.flat();
        return all.length >= 8 && all.length >= 8 + ((all[2]! << 8) | all[3]!) ? all : undefined;
      }, before);
      const answer = decodePacket(new Uint8Array((await header.jsonValue()) as number[]));
      expect(answer.header).toMatchObject({ op: SmpOp.WriteResponse, sequence });
      expect(answer.body).toEqual({ r: text });
    }
    expect(bridge.counts.notifications).toBe(3);

    await bridge.disconnect();
    await page.waitForFunction(() => (window as unknown as { events: string[] }).events.length > 0);
    expect(await page.evaluate(() => (window as unknown as { events: string[] }).events)).toEqual([
      'gattserverdisconnected',
    ]);
  });
});
