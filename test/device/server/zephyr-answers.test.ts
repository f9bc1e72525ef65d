/**
 * Hand-written expectations of what Zephyr v3.5.0's SMP server (the smp_svr sample) answers, one
 * block per difference of issue #8 item 5, each citing the upstream source it comes from
 * (zephyrproject-rtos/zephyr; paths below subsys/mgmt/mcumgr/ unless given in full).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Board } from '../../../src/device/boards/board.ts';
import { getBoard } from '../../../src/device/boards/index.ts';
import { decodePacket, encodePacket } from '../../../src/smp/codec.ts';
import { SmpGroup } from '../../../src/smp/group-ids.ts';
import { type BootedDevice, bootDevice } from './fixtures.ts';

let booted: BootedDevice | undefined;
afterEach(async () => {
  await booted?.close();
  booted = undefined;
});

/** The body of the one response the device gives to a raw request packet. */
async function answer(device: BootedDevice['device'], packet: Uint8Array): Promise<unknown> {
  const responses = await device.handleDatagram(packet);
  expect(responses).toHaveLength(1);
  return decodePacket(responses[0]!).body;
}

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
    booted = await bootDevice({
      board: { ...board, smp: { ...board.smp, netbufSize: 1024, netbufCount: 3 } },
    });
    expect(await booted.client.params()).toEqual({ buf_size: 1024, buf_count: 3 });
  });
});

describe('v1 errors and "rsn"', () => {
  // smp/src/smp.c smp_build_err_rsp: "rsn" is written only under
  // CONFIG_MCUMGR_SMP_VERBOSE_ERR_RESPONSE (mgmt/Kconfig: default n; smp_svr leaves it) and only
  // when the handler set a reason; grp/img_mgmt/src/img_mgmt.c gives "magic mismatch" for an
  // upload that does not start with an MCUboot header, translated for v1 by
  // img_mgmt_translate_error_code: INVALID_IMAGE_HEADER_MAGIC -> MGMT_ERR_EUNKNOWN (1).
  const badUpload = encodePacket(
    { version: 1, op: 2, flags: 0, group: SmpGroup.Image, sequence: 1, command: 1 },
    { off: 0, len: 64, data: new Uint8Array(64) },
  );
  const unknownCommand = encodePacket(
    { version: 1, op: 0, flags: 0, group: SmpGroup.Os, sequence: 2, command: 42 },
    {},
  );

  it('a default build answers a bare rc', async () => {
    booted = await bootDevice();
    expect(await answer(booted.device, badUpload)).toEqual({ rc: 1 });
    expect(await answer(booted.device, unknownCommand)).toEqual({ rc: 8 });
  });

  it('a verbose build adds the upload check reason, and nothing to an unknown command', async () => {
    booted = await bootDevice({ board: withServer({ verboseErrors: true }) });
    expect(await answer(booted.device, badUpload)).toEqual({ rc: 1, rsn: 'magic mismatch' });
    expect(await answer(booted.device, unknownCommand)).toEqual({ rc: 8 });
  });
});
