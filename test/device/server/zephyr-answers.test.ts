/**
 * Hand-written expectations of what Zephyr v3.5.0's SMP server (the smp_svr sample) answers, one
 * block per difference of issue #8 item 5, each citing the upstream source it comes from
 * (zephyrproject-rtos/zephyr; paths below subsys/mgmt/mcumgr/ unless given in full).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Board } from '../../../src/device/boards/board.ts';
import { getBoard } from '../../../src/device/boards/index.ts';
import { type BootedDevice, bootDevice } from './fixtures.ts';

let booted: BootedDevice | undefined;
afterEach(async () => {
  await booted?.close();
  booted = undefined;
});

/** The user's board with some SMP server build options changed. */
function withServer(options: Board['smpServer']): Board {
  return { ...getBoard('stm32f4_disco'), smpServer: options };
}

describe('MCUmgr params per build', () => {
  // transport/Kconfig: MCUMGR_TRANSPORT_NETBUF_SIZE "default 2048 if MCUMGR_TRANSPORT_UDP,
  // default 384"; MCUMGR_TRANSPORT_NETBUF_COUNT "default 2 if MCUMGR_TRANSPORT_UDP, default 4";
  // grp/os_mgmt/src/os_mgmt.c os_mgmt_mcumgr_params answers exactly those two values.
  it('a serial build (the user stm32f4_disco) answers 384/4', async () => {
    booted = await bootDevice();
    expect(await booted.client.params()).toEqual({ buf_size: 384, buf_count: 4 });
  });

  it('a build with the UDP transport answers 2048/2', async () => {
    booted = await bootDevice({ board: withServer({ udpTransport: true }) });
    expect(await booted.client.params()).toEqual({ buf_size: 2048, buf_count: 2 });
  });

  it('explicit CONFIG_MCUMGR_TRANSPORT_NETBUF_* values win over the defaults', async () => {
    const board = getBoard('stm32f4_disco');
    booted = await bootDevice({ board: { ...board, smp: { ...board.smp, netbufSize: 1024, netbufCount: 3 } } });
    expect(await booted.client.params()).toEqual({ buf_size: 1024, buf_count: 3 });
  });
});
