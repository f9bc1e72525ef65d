/**
 * The Web Serial stand-in itself (support/web-serial-bridge.ts): the page's navigator.serial port
 * is the virtual board's real PTY. Raw bytes only, so a fault here is the stand-in's, not the
 * library's: an SMP echo frame written by the page reaches the board and its answer comes back in
 * Uint8Array chunks; requestPort wants a user gesture; closing with a locked stream fails as the
 * spec says; the board going away errors the stream with NetworkError and fires `disconnect`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSim } from '../../src/device/io/sim-host.ts';
import { decodePacket, encodePacket } from '../../src/smp/codec.ts';
import { SmpOp } from '../../src/smp/header.ts';
import { encodeSerialFrame, SerialFrameDecoder } from '../../src/transport/serial-framing.ts';
import { launchChromium, TestPage } from './support/chromium.ts';
import { PAGES_DIR } from './support/page-bundle.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';
import { WebSerialBridge } from './support/web-serial-bridge.ts';

let browser: Browser;
let server: StaticServer;
const pages: TestPage[] = [];

beforeAll(async () => {
  const dir = join(PAGES_DIR, 'blank');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><title>stand-in</title><button id="pick">Pick a port</button>' +
      '<script>document.getElementById("pick").onclick = async () => {' +
      ' try { window.port = await navigator.serial.requestPort(); } catch (e) { window.pickError = String(e); } };' +
      // At load there is no user gesture (Playwright's evaluate would lend one).
      ' window.atLoad = navigator.serial.requestPort().then(() => "resolved", (e) => e.name + ": " + e.message);' +
      '</script>',
  );
  [browser, server] = await Promise.all([launchChromium(), startStaticServer(dir)]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

afterEach(async () => {
  for (const page of pages.splice(0)) {
    page.assertNoErrors();
    await page.close();
  }
});

function echoFrame(text: string): Uint8Array {
  const packet = encodePacket(
    { version: 2, op: SmpOp.Write, flags: 0, group: 0, sequence: 7, command: 0 },
    { d: text },
  );
  return encodeSerialFrame(packet);
}

describe('Web Serial stand-in bridged to a virtual board PTY', () => {
  it('carries an SMP echo both ways; requestPort needs a user gesture', async () => {
    const sim = await startSim({ udp: false, baud: 0 });
    const session = await TestPage.open(browser);
    pages.push(session);
    const bridge = await WebSerialBridge.attach(session.context);
    bridge.addPort(sim.ptyPath);
    try {
      const { page } = session;
      await page.goto(`${server.origin}/`);
      const noGesture = await page.evaluate(() => (window as unknown as { atLoad: Promise<string> }).atLoad);
      expect(noGesture).toMatch(/^SecurityError: .*user gesture/);
      await page.click('#pick');
      await page.waitForFunction(() => 'port' in window || 'pickError' in window);
      expect(
        await page.evaluate(() => (window as unknown as { pickError?: string }).pickError),
      ).toBeUndefined();
      expect(await page.evaluate(() => navigator.serial.getPorts().then((p) => p.length))).toBe(1);

      const frame = Buffer.from(echoFrame('hello from the page')).toString('base64');
      const reply = await session.guard(
        page.evaluate(async (b64) => {
          const port = (window as unknown as { port: SerialPort }).port;
          await port.open({ baudRate: 115200 });
          const writer = port.writable!.getWriter();
          await writer.write(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
          writer.releaseLock();
          const reader = port.readable!.getReader();
          const got: number[] = [];
          const kinds = new Set<string>();
          // Until the answer's frame ends: a line starting 06 09 closed by a newline.
          for (;;) {
            const { value, done } = await reader.read();
            if (done || !value) break;
            kinds.add(Object.prototype.toString.call(value));
            got.push(...value);
            const start = got.findIndex((b, i) => b === 6 && got[i + 1] === 9);
            if (start >= 0 && got.indexOf(10, start) > 0) break;
          }
          const lockedClose = await port.close().then(
            () => 'closed',
            (e: Error) => `${e.name}: ${e.message}`,
          );
          reader.releaseLock();
          await port.close();
          return { bytes: btoa(String.fromCharCode(...got)), kinds: [...kinds], lockedClose };
        }, frame),
      );
      expect(reply.kinds).toEqual(['[object Uint8Array]']);
      expect(reply.lockedClose).toMatch(/^TypeError: .*locked/);
      const events = new SerialFrameDecoder({ resync: true }).push(Buffer.from(reply.bytes, 'base64'));
      const packets = events.flatMap((e) => (e.kind === 'packet' ? [e.packet] : []));
      expect(packets).toHaveLength(1);
      const answer = decodePacket(packets[0]!);
      expect(answer.header).toMatchObject({ op: SmpOp.WriteResponse, sequence: 7 });
      expect(answer.body).toEqual({ r: 'hello from the page' });
    } finally {
      await bridge.close();
      await sim.close();
    }
  });

  it('the board going away errors the stream with NetworkError and fires disconnect', async () => {
    const sim = await startSim({ udp: false, baud: 0 });
    const session = await TestPage.open(browser);
    pages.push(session);
    const bridge = await WebSerialBridge.attach(session.context);
    bridge.addPort(sim.ptyPath);
    try {
      const { page } = session;
      await page.goto(`${server.origin}/`);
      await page.click('#pick');
      await page.waitForFunction(() => 'port' in window);
      await page.evaluate(async () => {
        const w = window as unknown as { port: SerialPort; readResult: Promise<string>; events: string[] };
        w.events = [];
        navigator.serial.addEventListener('disconnect', () => w.events.push('serial'));
        w.port.addEventListener('disconnect', () => w.events.push('port'));
        await w.port.open({ baudRate: 115200 });
        const reader = w.port.readable!.getReader();
        w.readResult = (async () => {
          try {
            for (;;) if ((await reader.read()).done) return 'done';
          } catch (e) {
            return `${(e as Error).name}: ${(e as Error).message}`;
          }
        })();
      });
      await sim.close();
      // Bounded: a loss the stand-in missed fails here in seconds, not at the test's timeout.
      const result = await page.evaluate(() =>
        Promise.race([
          (window as unknown as { readResult: Promise<string> }).readResult,
          new Promise<string>((resolve) =>
            setTimeout(() => resolve('still reading 5 s after the board went away'), 5000),
          ),
        ]),
      );
      expect(result).toBe('NetworkError: The device has been lost.');
      expect(await page.evaluate(() => (window as unknown as { events: string[] }).events)).toEqual([
        'port',
        'serial',
      ]);
      expect(await page.evaluate(() => (window as unknown as { port: SerialPort }).port.connected)).toBe(
        false,
      );
    } finally {
      await bridge.close();
      await sim.close();
    }
  });
});
