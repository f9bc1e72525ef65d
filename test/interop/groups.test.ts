/**
 * The settings (3), enumeration (10) and Zephyr basic (63) groups of the virtual board driven by
 * the peers that speak them, over the serial PTY and over UDP, each asserting on its own output:
 * intercreate smpclient and Finomnis' mcumgr-toolkit through their APIs
 * (test/interop/py/groups_ops.py), smpmgr through its CLI (it has `enum`, no settings or zephyr
 * basic commands in 0.19.1). The board is nrf52840dk, whose storage_partition holds LittleFS with
 * the settings file, so what a peer saves survives a reset.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type SimHandle, startSim } from '../../src/device/io/sim-host.ts';
import { peerTool } from './peers.ts';
import { nextBoot, type PeerLink, runProcess, SMP_UDP_PORT, smpmgr } from './smp-harness.ts';

const GROUPS_OPS = join(import.meta.dirname, 'py', 'groups_ops.py');
const SERVED = [0, 2, 1, 8, 3, 10, 63, 9];

type Op = { op: string; error?: string; group?: number; rc?: number } & Record<string, unknown>;

interface Sim {
  handle: SimHandle;
  serial: PeerLink;
  udp: PeerLink;
}

/** nrf52840dk on 127.a.b.c:1337, a loopback address of its own (the peers always use 1337). */
async function startBoard(): Promise<Sim> {
  for (let attempt = 0; ; attempt++) {
    const host = `127.${1 + (process.pid % 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
    try {
      const handle = await startSim({ board: 'nrf52840dk', udp: `${host}:${SMP_UDP_PORT}`, baud: 0 });
      return { handle, serial: { serial: handle.ptyPath }, udp: { udp: host } };
    } catch (error) {
      if (attempt >= 5 || !/EADDRINUSE/.test(String(error))) throw error;
    }
  }
}

async function groupsOps(
  peer: 'smpclient' | 'toolkit',
  link: PeerLink,
  ops: readonly string[],
): Promise<Op[]> {
  const linkArgs = 'serial' in link ? ['--serial', link.serial] : ['--udp', link.udp];
  const result = await runProcess(peerTool('python'), [GROUPS_OPS, '--peer', peer, ...linkArgs, ...ops]);
  const lines = result.stdout.split('\n').filter((line) => line.startsWith('{'));
  if (result.code !== 0)
    throw new Error(`${peer} ${ops.join(' ')} exited ${result.code}:\n${result.stdout}${result.stderr}`);
  return lines.map((line) => JSON.parse(line) as Op);
}

async function resetAndWait(sim: Sim): Promise<void> {
  const boot = nextBoot(sim.handle);
  await sim.handle.device.reset();
  await boot;
  // The app's settings_load runs as main() starts.
  const deadline = Date.now() + 5000;
  while (sim.handle.device.firmware?.stats().has('smp_server_stats') !== true && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let sim: Sim | undefined;
afterEach(async () => {
  await sim?.handle.close();
  sim = undefined;
});

describe.each([
  { peer: 'smpclient' as const, via: 'serial' as const },
  { peer: 'smpclient' as const, via: 'udp' as const },
  { peer: 'toolkit' as const, via: 'serial' as const },
  { peer: 'toolkit' as const, via: 'udp' as const },
])('$peer over $via', ({ peer, via }) => {
  it('settings: write, read (max_size), save, reset, read back, delete, errors', async () => {
    sim = await startBoard();
    const link = sim[via];
    const first = await groupsOps(peer, link, [
      'read',
      'blinky/rate',
      'write',
      'blinky/rate',
      '4',
      'read',
      'blinky/rate',
      'read-max',
      'blinky/rate',
      '100',
      'write',
      'blinky/rate',
      '12345678',
      'read-max',
      'blinky/rate',
      '3',
      'write',
      'blinky/rate',
      '4',
      'save',
      'commit',
      'load',
      'read',
      `blinky/${'x'.repeat(30)}`,
      'read',
      'nosuch/key',
    ]);
    expect(first.map((r) => r.op)).toEqual([
      'read',
      'write',
      'read',
      'read-max',
      'write',
      'read-max',
      'write',
      'save',
      'commit',
      'load',
      'read',
      'read',
    ]);
    expect(first[0]!.error).toBeDefined();
    expect(first[2]).toMatchObject({ text: '4', val: '34' });
    expect(first[3]).toMatchObject({ text: '4', max_size: 32 });
    expect(first[5]).toMatchObject({ text: '123' });
    for (const i of [1, 4, 6, 7, 8, 9]) expect(first[i]!.error).toBeUndefined();
    if (peer === 'smpclient') {
      expect(first[0]).toMatchObject({ group: 3, rc: 3 });
      expect(first[10]).toMatchObject({ group: 3, rc: 2 });
      expect(first[11]).toMatchObject({ group: 3, rc: 5 });
    } else {
      // mcumgr-toolkit names the device's error code.
      expect(first[0]!.error).toContain('Device returned error code: SETTINGS_MGMT_ERR_KEY_NOT_FOUND');
      expect(first[10]!.error).toContain('Device returned error code: SETTINGS_MGMT_ERR_KEY_TOO_LONG');
      expect(first[11]!.error).toContain('Device returned error code: SETTINGS_MGMT_ERR_ROOT_KEY_NOT_FOUND');
    }

    await resetAndWait(sim);
    const after = await groupsOps(peer, link, ['read', 'blinky/rate', 'delete', 'blinky/rate']);
    expect(after[0]).toMatchObject({ text: '4' });
    expect(after[1]!.error).toBeUndefined();
    expect(sim.handle.device.firmware!.status()).toBe('running');
  }, 60_000);

  it('enumeration: count, list, single, details', async () => {
    sim = await startBoard();
    const link = sim[via];
    const [count, list, single, last, past, details] = await groupsOps(peer, link, [
      'count',
      'list',
      'single',
      '0',
      'single',
      String(SERVED.length - 1),
      'single',
      String(SERVED.length),
      'details',
    ]);
    expect(count).toMatchObject({ count: SERVED.length });
    expect(list).toMatchObject({ groups: SERVED });
    expect(single).toMatchObject({ group: 0 });
    expect(last).toMatchObject({ group: SERVED.at(-1) });
    if (peer === 'smpclient') expect(last).toMatchObject({ end: true });
    if (peer === 'smpclient') expect(past).toMatchObject({ group: 10, rc: 4 });
    else expect(past!.error).toContain('Device returned error code: ENUM_MGMT_ERR_INDEX_TOO_LARGE');
    const groups = (
      details as unknown as { groups: Array<{ group: number; name: string; handlers: number }> }
    ).groups;
    expect(groups.map((g) => g.group)).toEqual(SERVED);
    expect(groups.find((g) => g.group === 3)).toEqual({ group: 3, name: 'settings mgmt', handlers: 4 });
  }, 60_000);

  it('zephyr basic: erase storage; the next boot formats LittleFS and the saved setting is gone', async () => {
    sim = await startBoard();
    const link = sim[via];
    const lines: string[] = [];
    sim.handle.device.onConsoleLine((line) => lines.push(line));
    const before = await groupsOps(peer, link, ['write', 'blinky/rate', '6', 'save', 'erase']);
    expect(before.map((r) => r.error)).toEqual([undefined, undefined, undefined]);
    await resetAndWait(sim);
    const deadline = Date.now() + 3000;
    while (!lines.some((line) => line.includes("can't mount")) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(lines.some((line) => line.includes("can't mount (LFS -84); formatting"))).toBe(true);
    const [read] = await groupsOps(peer, link, ['read', 'blinky/rate']);
    expect(read!.error).toBeDefined();
  }, 60_000);
});

describe.each(['serial', 'udp'] as const)('smpmgr enum over %s', (via) => {
  it('lists the supported groups and their details', async () => {
    sim = await startBoard();
    const groups = await smpmgr(sim[via], ['enum', 'get-supported-groups']);
    for (const id of SERVED) expect(groups).toMatch(new RegExp(`\\b${id}\\b`));
    const details = await smpmgr(sim[via], ['enum', 'get-group-details', '3', '63']);
    expect(details).toContain('settings mgmt');
    expect(details).toContain('zephyr basic mgmt');
  }, 60_000);
});
