import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { formatConnTarget, parseConnString, parseConnType } from '../../src/transport/kinds/registry.ts';

async function zdfu(args: string[], home: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: { ZDFU_HOME: home },
  });
  return { code, stdout, stderr };
}

describe('BLE connection strings (mcumgr spelling)', () => {
  it('parses peer_name, peer_id, hci and scan, and writes them back', () => {
    expect(parseConnType('ble')).toBe('ble');
    const target = parseConnString('ble', 'peer_name=esp,hci=uart:/dev/ttyACM0');
    expect(target).toEqual({
      type: 'ble',
      peerName: 'esp',
      hci: { kind: 'uart', path: '/dev/ttyACM0' },
      scanTimeoutMs: 10_000,
    });
    expect(formatConnTarget(target)).toBe('peer_name=esp,hci=uart:/dev/ttyACM0');
    expect(parseConnString('ble', 'peer_id=AA:BB:CC:DD:EE:FF,hci=1,scan=2.5')).toEqual({
      type: 'ble',
      peerId: 'aa:bb:cc:dd:ee:ff',
      hci: { kind: 'socket', deviceId: 1 },
      scanTimeoutMs: 2500,
    });
    expect(parseConnString('ble', 'peer_name=x')).toMatchObject({ hci: { kind: 'socket', deviceId: 0 } });
  });

  it('refuses what it cannot use, in words', () => {
    expect(() => parseConnString('ble', 'hci=0')).toThrow(
      /names no device; give peer_name=NAME or peer_id=ADDRESS/,
    );
    expect(() => parseConnString('ble', 'peer_id=zz')).toThrow(/not a device address like 10:00:00:00:00:01/);
    expect(() => parseConnString('ble', 'peer_name=a,hci=usb')).toThrow(/neither a kernel HCI device number/);
    expect(() => parseConnString('ble', 'peer_name=a,mtu=9')).toThrow(
      /unknown key "mtu"; known keys are peer_name/,
    );
    expect(() => parseConnString('ble', 'peer_name=a,scan=0')).toThrow(/scan "0" is not a number of seconds/);
  });

  it('conn add type=ble stores the profile; zdfu sim refuses --ble on a board without a radio', async () => {
    const home = mkdtempSync(join(tmpdir(), 'zdfu-ble-cli-'));
    try {
      const add = await zdfu(
        ['conn', 'add', 'esp', 'type=ble', 'connstring=peer_name=esp,hci=uart:/dev/null'],
        home,
      );
      expect(add.code).toBe(0);
      const list = await zdfu(['conn', 'list', '--json'], home);
      expect(JSON.parse(list.stdout).profiles).toEqual([
        { name: 'esp', type: 'ble', connstring: 'peer_name=esp,hci=uart:/dev/null' },
      ]);
      const noHci = await zdfu(['sim', '--ble', '--no-udp'], home);
      expect(noHci.code).toBe(1);
      expect(noHci.stderr).toMatch(/--ble needs the HCI controller: --ble-hci uart:PATH/);
      const stm = await zdfu(
        ['sim', '--board', 'stm32f4_disco', '--no-udp', '--ble', '--ble-hci', 'uart:/dev/null'],
        home,
      );
      expect(stm.code).toBe(1);
      expect(stm.stderr).toMatch(/stm32f4_disco has no Bluetooth radio, so it cannot serve SMP over BLE/);
      const missing = await zdfu(['ble', 'scan', '--hci', `uart:${home}/nope`, '--json'], home);
      expect(missing.code).toBe(1);
      expect(JSON.parse(missing.stdout).error.message).toMatch(
        /No HCI controller at .*nope.*the file does not exist/,
      );
      const scanHci = await zdfu(['ble', 'scan', '--hci', 'usb'], home);
      expect(scanHci.stderr).toMatch(/--hci "usb" is neither a kernel HCI device number/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
