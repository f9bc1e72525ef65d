/**
 * The sim's SMP server is built for the transports it serves (src/device/server/build-config.ts
 * builtFor): subsys/mgmt/mcumgr/transport/Kconfig (v3.5.0) gives MCUMGR_TRANSPORT_NETBUF_SIZE /
 * _COUNT "default 2048 / 2 if MCUMGR_TRANSPORT_UDP", else 384 / 4, and os_mgmt.c
 * os_mgmt_mcumgr_params answers exactly those. So `zdfu sim --no-udp` is the user's serial-only
 * smp_svr and answers 384/4 on its PTY; with UDP it is a UDP build, 2048/2 on both links.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceClient } from '../../../src/client/device.ts';
import { type SimHandle, startSim } from '../../../src/device/io/sim-host.ts';
import { SerialTransport } from '../../../src/transport/serial.ts';

let sim: SimHandle | undefined;
let client: DeviceClient | undefined;
let dir: string | undefined;
afterEach(async () => {
  await client?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  client = undefined;
  sim = undefined;
  dir = undefined;
});

async function paramsOverPty(udp: string | false) {
  dir = mkdtempSync(join(tmpdir(), 'zdfu-build-'));
  sim = await startSim({ ptyLink: join(dir, 'tty'), udp, baud: 0 });
  client = new DeviceClient(await SerialTransport.open({ path: sim.ptyPath }), {
    timeoutMs: 3000,
    retries: 1,
  });
  return client.params();
}

describe('zdfu sim: MCUmgr params follow the transports it serves', () => {
  it('serial only (--no-udp): 384/4', async () => {
    expect(await paramsOverPty(false)).toEqual({ buf_size: 384, buf_count: 4 });
  });

  it('serial and UDP: 2048/2', async () => {
    expect(await paramsOverPty('127.0.0.1:0')).toEqual({ buf_size: 2048, buf_count: 2 });
  });
});
