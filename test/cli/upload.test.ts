/** `zdfu image upload` end to end in-process: exit codes, the summary of a resumed upload, Ctrl-C. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/run.ts';
import { sha256 } from '../../src/client/upload.ts';
import { buildTestImage, FakeSmpDevice } from '../client/fake-smp-device.ts';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'zdfu-upload-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

function harness(device: FakeSmpDevice, signal?: AbortSignal) {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env: { ZDFU_HOME: home },
    openTransport: async () => device.connect(),
    ...(signal === undefined ? {} : { signal }),
  };
  return { io, out: () => out, err: () => err };
}

const udp = ['--conntype', 'udp', '--connstring', '127.0.0.1:1337'];

function imageFile(bytes: Uint8Array): string {
  const file = join(home, 'app.signed.bin');
  writeFileSync(file, bytes);
  return file;
}

describe('zdfu image upload', () => {
  it('exits 2 (the device showed a fault) when the device reports match=false', async () => {
    const device = new FakeSmpDevice({ mtu: 256, imageCheck: true });
    device.corruptStored = true;
    const h = harness(device);
    expect(await runCli([...udp, 'image', 'upload', imageFile(buildTestImage(1000))], h.io)).toBe(2);
    expect(h.err()).toMatch(
      /^Error: The device stored all bytes but reports that they do not match .*match=false/,
    );
    expect(h.err()).toMatch(/Run the same command again: the upload starts over and normally succeeds/);
    expect(h.out()).toBe('');
    // As the message says: the same command again (a clean transfer this time) succeeds.
    device.corruptStored = false;
    const again = harness(device);
    expect(await runCli([...udp, 'image', 'upload', imageFile(buildTestImage(1000))], again.io)).toBe(0);
  });

  it('counts only what this run sent when the device resumes an earlier upload', async () => {
    const image = buildTestImage(6000);
    const device = new FakeSmpDevice({ mtu: 256, params: { buf_size: 384, buf_count: 4 }, imageCheck: true });
    device.slot.set(image.subarray(0, 4000));
    device.upload = { off: 4000, size: image.length, sha: await sha256(image) };
    const file = imageFile(image);
    const h = harness(device);
    expect(await runCli([...udp, 'image', 'upload', file], h.io)).toBe(0);
    expect(h.out()).toMatch(
      /^Uploaded image 1\.2\.3: 2072 of 6072 bytes \(resumed at byte 4000, where an earlier upload stopped\) in [\d.]+ s \(/,
    );
    // The rate is 2072 bytes over the time taken, not the whole file's 6072.
    const [, seconds, rate] = /in ([\d.]+) s \(([\d.]+) (B|KiB|MiB)\/s\)/.exec(h.out()) ?? [];
    expect(Number(seconds)).toBeGreaterThanOrEqual(0);
    expect(rate).toBeDefined();

    device.upload = { off: 4000, size: image.length, sha: await sha256(image) };
    const json = harness(device);
    expect(await runCli([...udp, '--json', 'image', 'upload', file], json.io)).toBe(0);
    expect(JSON.parse(json.out())).toMatchObject({ bytes: 6072, sentBytes: 2072, resumedFrom: 4000 });
  });

  it('on Ctrl-C says the offset reached and that the same command resumes; running it again does', async () => {
    const image = buildTestImage(60_000);
    const device = new FakeSmpDevice({ mtu: 256, slotSize: 128 * 1024, imageCheck: true });
    const file = imageFile(image);
    const abort = new AbortController();
    const watch = setInterval(() => {
      if ((device.upload?.off ?? 0) > 20_000) abort.abort();
    }, 1);
    const h = harness(device, abort.signal);
    const code = await runCli([...udp, 'image', 'upload', file], h.io);
    clearInterval(watch);
    expect(code).toBe(130);
    const said =
      /^Error: Upload interrupted at byte (\d+) of 60072 \((\d+)%\)\. The device keeps this upload until it resets or another upload starts: run the same command again to resume from there\.\n$/.exec(
        h.err(),
      );
    expect(said, h.err()).not.toBeNull();
    const acknowledged = Number(said?.[1]);
    expect(acknowledged).toBeGreaterThan(20_000);
    expect(Number(said?.[2])).toBe(Math.floor((acknowledged * 100) / 60072));
    // Requests already on their way when Ctrl-C came may still land: the device is the truth.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const reached = device.upload?.off ?? 0;
    expect(reached).toBeGreaterThanOrEqual(acknowledged);

    const again = harness(device);
    expect(await runCli([...udp, 'image', 'upload', file], again.io)).toBe(0);
    expect(again.out()).toContain(
      `Uploaded image 1.2.3: ${60072 - reached} of 60072 bytes (resumed at byte ${reached}`,
    );
    expect(device.stored(image.length)).toEqual(image);
  });
});
