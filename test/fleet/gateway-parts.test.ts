import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DdiArtifact } from '../../src/fleet/ddi/client.ts';
import { ArtifactCache } from '../../src/fleet/gateway/artifacts.ts';
import { actionIdOfHref } from '../../src/fleet/gateway/controller.ts';
import { bleControllerId } from '../../src/fleet/gateway/devices.ts';
import { Journal } from '../../src/fleet/gateway/journal.ts';
import { parseTargetTokens } from '../../src/fleet/gateway/tokens.ts';
import { Slots } from '../../src/fleet/gateway/wait.ts';
import { countPhases, type FleetStatus, StatusBoard } from '../../src/fleet/status.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function artifact(sha256: string, size: number): DdiArtifact {
  return { filename: 'a.bin', size, sha256, downloadHref: 'http://x/a.bin' };
}

describe('StatusBoard', () => {
  it('keeps one row per device, clears fields patched with undefined, and throttles notices', async () => {
    let clock = 1000;
    const board = new StatusBoard('http://hawkbit', { now: () => clock, notifyIntervalMs: 50 });
    const seen: FleetStatus[] = [];
    board.onStatus((s) => seen.push(s));
    board.add('a', 'sim #0');
    board.add('a', 'sim #0');
    board.update('a', { phase: 'uploading', progress: { sent: 1, total: 10 } });
    board.update('a', { progress: { sent: 5, total: 10 } });
    expect(seen).toHaveLength(1);
    clock += 50;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(seen).toHaveLength(2);
    expect(seen[1]?.devices).toEqual([
      {
        controllerId: 'a',
        link: 'sim #0',
        phase: 'uploading',
        progress: { sent: 5, total: 10 },
        updatedAt: 1000,
      },
    ]);
    board.update('a', { phase: 'done', progress: undefined });
    board.close();
    expect(seen.at(-1)?.devices[0]).not.toHaveProperty('progress');
    expect(countPhases(board.snapshot())).toMatchObject({ done: 1, idle: 0 });
    expect(() => board.update('b', { phase: 'idle' })).toThrow(/no device "b"/);
  });
});

describe('Slots', () => {
  it('hands out at most `size` at once, first come first served, and lets an aborted waiter go', async () => {
    const slots = new Slots(1);
    const never = new AbortController();
    const first = await slots.acquire(never.signal);
    const order: string[] = [];
    const leaving = new AbortController();
    const waiting = slots.acquire(leaving.signal).then(
      () => order.push('aborted one got a slot'),
      () => order.push('aborted one left'),
    );
    const second = slots.acquire(never.signal).then((release) => {
      order.push('second');
      return release;
    });
    expect(slots.queued).toBe(2);
    leaving.abort(new Error('gone'));
    await waiting;
    first();
    first();
    (await second)();
    expect(order).toEqual(['aborted one left', 'second']);
    expect(slots.queued).toBe(0);
    expect(() => new Slots(0)).toThrow(/whole number ≥ 1/);
  });
});

describe('ArtifactCache', () => {
  it('downloads an artifact once for many askers, does not keep a failure, and evicts the oldest beyond its bound', async () => {
    const cache = new ArtifactCache(10);
    let calls = 0;
    const download = (bytes: number) => async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return new Uint8Array(bytes);
    };
    const a = artifact('AA', 6);
    const [x, y] = await Promise.all([
      cache.get(a, download(6)),
      cache.get({ ...a, sha256: 'aa' }, download(6)),
    ]);
    expect(x).toBe(y);
    expect(calls).toBe(1);
    await expect(cache.get(artifact('bb', 6), () => Promise.reject(new Error('503')))).rejects.toThrow('503');
    expect(cache.has(artifact('bb', 6))).toBe(false);
    await cache.get(artifact('bb', 6), download(6));
    expect(cache.has(a)).toBe(false);
    expect(cache.downloads).toBe(3);
  });
});

describe('Journal', () => {
  it('writes by rename (no temporary file left) and reads back what it wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdfu-journal-'));
    dirs.push(dir);
    const file = join(dir, 'state', 'gw.json');
    const journal = await Journal.open(file);
    for (let i = 0; i < 20; i++) {
      journal.set(`sim-${i}`, {
        actionId: String(i),
        stage: 'uploading',
        target: { name: 'blinky', version: '2.0.0' },
        startedAt: i,
        updatedAt: i,
      });
    }
    journal.delete('sim-3');
    await journal.flush();
    expect(readdirSync(join(dir, 'state'))).toEqual(['gw.json']);
    const again = await Journal.open(file);
    expect(again.ids()).toHaveLength(19);
    expect(again.get('sim-7')).toMatchObject({ actionId: '7', stage: 'uploading' });
    expect(JSON.parse(readFileSync(file, 'utf8')).version).toBe(1);
  });

  it('refuses an entry it cannot use, naming the device', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdfu-journal-'));
    dirs.push(dir);
    const file = join(dir, 'gw.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      file,
      JSON.stringify({ version: 1, devices: { 'sim-0': { actionId: 4, stage: 'flying' } } }),
    );
    await expect(Journal.open(file)).rejects.toThrow(
      /has a broken entry for device "sim-0" \(it needs actionId, stage, target, startedAt, updatedAt\); move .* away/,
    );
  });
});

describe('small parsers', () => {
  it('target tokens: JSON or "id token" lines, with errors that name the line', () => {
    expect(parseTargetTokens('{"sim-0":"t0","sim-1":"t1"}', 'f')).toEqual(
      new Map([
        ['sim-0', 't0'],
        ['sim-1', 't1'],
      ]),
    );
    expect(parseTargetTokens('# tokens\nsim-0 t0\n\nsim-1   t1 # the second\n', 'f')).toEqual(
      new Map([
        ['sim-0', 't0'],
        ['sim-1', 't1'],
      ]),
    );
    expect(() => parseTargetTokens('sim-0\n', 'tokens.txt')).toThrow(
      'line 1 of the target token file tokens.txt is not "controllerId token" (it has 1 words)',
    );
    expect(() => parseTargetTokens('a x\na y', 'f')).toThrow('names controller "a" twice');
    expect(() => parseTargetTokens('{"a": 1}', 'f')).toThrow('gives controller "a" no token');
  });

  it('the action id of a deploymentBase link, and BLE controller ids', () => {
    expect(actionIdOfHref('http://h/DEFAULT/controller/v1/x/deploymentBase/42?c=-1')).toBe('42');
    expect(actionIdOfHref('http://h/other')).toBeUndefined();
    expect(bleControllerId({ name: 'Zephyr SMP', address: 'AA:BB:CC:00:11:22' })).toBe('ble-Zephyr-SMP');
    expect(bleControllerId({ name: 'a/b', address: 'AA:BB:CC:00:11:22' })).toBe('ble-aabbcc001122');
    expect(bleControllerId({ name: undefined, address: 'AA:BB:CC:00:11:22' })).toBe('ble-aabbcc001122');
  });
});
