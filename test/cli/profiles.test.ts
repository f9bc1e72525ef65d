import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseProfileArgs } from '../../src/cli/conn.ts';
import { ProfileStore, zdfuHome } from '../../src/cli/profiles.ts';

let home: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'zdfu-profiles-'));
});

afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

describe('ProfileStore', () => {
  it('lives in $ZDFU_HOME, else ~/.zdfu', () => {
    expect(zdfuHome({ ZDFU_HOME: '/x/y' })).toBe('/x/y');
    expect(zdfuHome({})).toMatch(/\.zdfu$/);
  });

  it('replaces a profile of the same name and leaves no temporary files', () => {
    const store = new ProfileStore(join(home, 'nested'));
    store.add({ name: 'dev', type: 'serial', connstring: '/dev/ttyUSB0' });
    store.add({ name: 'dev', type: 'udp', connstring: '10.0.0.1' });
    expect(store.list()).toEqual([{ name: 'dev', type: 'udp', connstring: '10.0.0.1' }]);
    expect(store.get('dev').type).toBe('udp');
    expect(readdirSync(join(home, 'nested'))).toEqual(['connections.json']);
  });

  it('says clearly when the file is damaged or a name is unknown', () => {
    const store = new ProfileStore(home);
    expect(() => store.delete('ghost')).toThrow('Unknown connection profile "ghost"; nothing deleted.');
    writeFileSync(store.file, '{ not json');
    expect(() => store.list()).toThrow(/is not valid JSON/);
  });

  it('names the broken profile, its field and the repair, and keeps the good ones usable', () => {
    const store = new ProfileStore(home);
    writeFileSync(
      store.file,
      JSON.stringify({
        profiles: [
          { name: 'a', type: 'tcp', connstring: 'x' },
          { name: 'b', type: 'udp' },
          { name: 'ok', type: 'udp', connstring: '127.0.0.1:1337' },
          42,
        ],
      }),
    );
    expect(() => store.get('a')).toThrow(
      `Connection profile "a" in ${store.file} has a bad type: "tcp" is not "serial", "udp" or "ble". ` +
        `Repair it with \`zdfu conn add a type=serial|udp|ble connstring=...\`, or edit ${store.file}.`,
    );
    expect(() => store.get('b')).toThrow(/Connection profile "b" in .* has a bad connstring: it is missing/);
    expect(store.get('ok').connstring).toBe('127.0.0.1:1337');
    expect(store.broken()).toHaveLength(3);
    expect(store.broken()[2]).toBe(
      `Connection profile #4 in ${store.file} is unusable: it is not an object. Edit ${store.file} to fix or remove it.`,
    );
    // `conn add` again repairs the profile it names and loses nothing else.
    store.add({ name: 'a', type: 'serial', connstring: 'dev=/dev/ttyACM0' });
    expect(store.get('a').type).toBe('serial');
    expect(store.broken()).toHaveLength(2);
    store.delete('b');
    expect(store.broken()).toHaveLength(1);
    expect(store.list().map((p) => p.name)).toEqual(['a', 'ok']);
  });

  it('rejects names that would not survive a shell or a file', () => {
    const store = new ProfileStore(home);
    expect(() => store.add({ name: 'a b', type: 'udp', connstring: 'h' })).toThrow(/may only use letters/);
  });
});

describe('conn add arguments', () => {
  it('reads mcumgr-style type= and connstring= words', () => {
    expect(parseProfileArgs('b', ['type=serial', 'connstring=dev=/dev/ttyS0,baud=9600'])).toEqual({
      name: 'b',
      type: 'serial',
      connstring: 'dev=/dev/ttyS0,baud=9600',
    });
  });

  it('names what is wrong', () => {
    expect(() => parseProfileArgs('b', ['type=serial'])).toThrow('Profile "b" needs connstring=...');
    expect(() => parseProfileArgs('b', ['connstring=x'])).toThrow(
      'Profile "b" needs type=serial or type=udp or type=ble.',
    );
    expect(() => parseProfileArgs('b', ['mtu=5'])).toThrow(/Unknown profile variable "mtu"/);
    expect(() => parseProfileArgs('b', ['type=tcp', 'connstring=x'])).toThrow(
      /Unknown connection type "tcp"; expected one of: serial, udp, ble/,
    );
  });
});
