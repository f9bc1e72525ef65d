import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import pty from 'node-pty';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialTransport } from '../../src/transport/serial.ts';
import { keepPollerWaits } from '../../src/transport/serial-poller.ts';

/** node-pty exposes its native open() without typings. */
interface NodePtyNative {
  native: { open(cols: number, rows: number): { master: number; slave: number; pty: string } };
}

interface Poller {
  once(event: 'readable' | 'writable', listener: (error?: Error | null) => void): void;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});

function openPty(): string {
  const { master, slave, pty: path } = (pty as unknown as NodePtyNative).native.open(80, 24);
  execFileSync('stty', ['-F', path, 'raw', '-echo']);
  cleanups.push(() => {
    fs.closeSync(slave);
    fs.closeSync(master);
  });
  return path;
}

/** Waits for "writable" after a read started polling for "readable", as unixWrite then unixRead do. */
function writeWaitSurvivesRead(poller: Poller): Promise<string> {
  const writable = new Promise<string>((resolve) => poller.once('writable', () => resolve('writable')));
  poller.once('readable', () => undefined);
  const timeout = new Promise<string>((resolve) =>
    setTimeout(() => resolve('still waiting after 2 s'), 2000),
  );
  return Promise.race([writable, timeout]);
}

async function openSlave(): Promise<SerialPort> {
  const path = openPty();
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  cleanups.push(async () => {
    if (port.isOpen) await new Promise((resolve) => port.close(resolve));
  });
  return port;
}

describe('serialport poller waits (found by npm run fuzz)', () => {
  it('a write waiting for "writable" still wakes after a read starts polling for "readable"', async () => {
    const port = await openSlave();
    keepPollerWaits(port.port!);
    const poller = (port.port as unknown as { poller: Poller }).poller;
    // What unixWrite does after EAGAIN, then what unixRead does after EAGAIN. The PTY is writable
    // at once, so the write's wait must end; bindings-cpp 13.0.0 alone restarts uv_poll with
    // "readable" only and the write waits forever (on a full UART buffer: every later request
    // times out although the device is fine).
    expect(await writeWaitSurvivesRead(poller)).toBe('writable');
  });

  it('SerialTransport opens its ports with the kept waits', async () => {
    const transport = await SerialTransport.open({ path: openPty() });
    cleanups.push(() => transport.close());
    const port = (transport as unknown as { port: SerialPort }).port;
    const poller = (port.port as unknown as { poller: Poller }).poller;
    expect(await writeWaitSurvivesRead(poller)).toBe('writable');
  });
});
