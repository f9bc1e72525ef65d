/**
 * Hand-written expectations of what Zephyr v3.5.0's SMP server (the smp_svr sample) answers, one
 * block per difference of issue #8 item 5, each citing the upstream source it comes from
 * (zephyrproject-rtos/zephyr; paths below subsys/mgmt/mcumgr/ unless given in full).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Board } from '../../../src/device/boards/board.ts';
import { createBoardFlash, getBoard } from '../../../src/device/boards/index.ts';
import { bootAreas } from '../../../src/device/mcuboot/boot.ts';
import { SmpServer } from '../../../src/device/server/smp-server.ts';
import { registerImageGroup } from '../../../src/groups/image/server.ts';
import { ImageSlots } from '../../../src/groups/image/slots.ts';
import { parseImage } from '../../../src/image/format.ts';
import { type CborMap, decodePacket, encodePacket } from '../../../src/smp/codec.ts';
import { SmpGroup } from '../../../src/smp/group-ids.ts';
import {
  encodeSerialFrame,
  type SerialEvent,
  SerialFrameDecoder,
} from '../../../src/transport/serial-framing.ts';
import { type BootedDevice, blinky, bootDevice } from './fixtures.ts';

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

/** A v2 image upload request (group 1, command 1) as raw bytes. */
function uploadPacket(body: CborMap, sequence = 0, version: 1 | 2 = 2): Uint8Array {
  return encodePacket({ version, op: 2, flags: 0, group: SmpGroup.Image, sequence, command: 1 }, body);
}

/** Uploads `image` in 256-byte chunks with the full sha; returns the last response body. */
async function uploadAll(device: BootedDevice['device'], image: Uint8Array): Promise<unknown> {
  const sha = await sha256(image);
  let off = 0;
  let last: unknown;
  while (off < image.length) {
    const data = image.subarray(off, off + 256);
    last = await answer(
      device,
      uploadPacket(off === 0 ? { off, len: image.length, sha, data } : { off, data }),
    );
    off = (last as { off: number }).off;
  }
  return last;
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
}

describe('the last upload chunk and "match"', () => {
  // grp/img_mgmt/src/img_mgmt.c img_mgmt_upload: `"match"` is appended to the last response only
  // inside #ifdef CONFIG_IMG_ENABLE_IMAGE_CHECK (subsys/dfu/Kconfig: default n; smp_svr's prj.conf
  // leaves it), so the real smp_svr ends an upload with {"off": len} alone.
  it('smp_svr (image check off) answers {off: len} and nothing else', async () => {
    booted = await bootDevice();
    const two = await blinky('blinky-two');
    expect(await uploadAll(booted.device, two)).toEqual({ off: two.length });
  });

  it('with CONFIG_IMG_ENABLE_IMAGE_CHECK it answers {off: len, match: true}', async () => {
    booted = await bootDevice({ board: withServer({ imageCheck: true }) });
    const two = await blinky('blinky-two');
    expect(await uploadAll(booted.device, two)).toEqual({ off: two.length, match: true });
  });
});

describe('the first chunk sent again after a completed upload', () => {
  // img_mgmt.c img_mgmt_upload resets the upload state once the last chunk is written
  // (img_mgmt_reset_upload: area_id = -1), and zephyr_img_mgmt.c img_mgmt_upload_inspect resumes
  // only while area_id != -1; so off=0 with the same sha starts a new upload: the slot is erased
  // (it is not blank) and the answer is the first chunk's length. Only the image-check build
  // (#ifdef CONFIG_IMG_ENABLE_IMAGE_CHECK, flash_img_check) answers {off: len, match: true}.
  it('restarts the upload: answers the chunk length and slot 1 is no longer listed', async () => {
    booted = await bootDevice();
    const two = await blinky('blinky-two');
    await uploadAll(booted.device, two);
    expect((await booted.client.imageList()).images.map((i) => i.slot)).toEqual([0, 1]);
    const first = { off: 0, len: two.length, sha: await sha256(two), data: two.subarray(0, 256) };
    expect(await answer(booted.device, uploadPacket(first))).toEqual({ off: 256 });
    expect((await booted.client.imageList()).images.map((i) => i.slot)).toEqual([0]);
  });

  it('with image check, answers {off: len, match: true} and keeps the slot', async () => {
    booted = await bootDevice({ board: withServer({ imageCheck: true }) });
    const two = await blinky('blinky-two');
    await uploadAll(booted.device, two);
    const first = { off: 0, len: two.length, sha: await sha256(two), data: two.subarray(0, 256) };
    expect(await answer(booted.device, uploadPacket(first))).toEqual({ off: two.length, match: true });
    expect((await booted.client.imageList()).images.map((i) => i.slot)).toEqual([0, 1]);
  });
});

describe('a pending slot 1: erase and upload refused', () => {
  // grp/img_mgmt/src/img_mgmt_state.c img_mgmt_slot_in_use: a slot pending for the next boot
  // (test or permanent) is in use unless CONFIG_MCUMGR_GRP_IMG_ALLOW_ERASE_PENDING (Kconfig default
  // n). img_mgmt.c img_mgmt_erase then adds IMG_MGMT_ERR_NO_FREE_SLOT (group 1, rc 9), which
  // img_mgmt_translate_error_code gives v1 clients as MGMT_ERR_EBADSTATE (6); the upload's slot
  // choice (zephyr_img_mgmt.c img_mgmt_get_unused_slot_area_id) finds no slot: NO_FREE_SLOT too.
  const erase = (version: 1 | 2) =>
    encodePacket({ version, op: 2, flags: 0, group: SmpGroup.Image, sequence: 9, command: 5 }, {});

  async function pendingTwo(board?: Board): Promise<{ two: Uint8Array; device: BootedDevice['device'] }> {
    booted = await bootDevice(board ? { board } : {});
    const two = await blinky('blinky-two');
    await uploadAll(booted.device, two);
    await booted.client.imageTest(parseImage(two).sha256Hash!);
    return { two, device: booted.device };
  }

  it('smp_svr refuses to erase it (v2 group 1 rc 9, v1 rc 6) and keeps it pending', async () => {
    const { device } = await pendingTwo();
    expect(await answer(device, erase(2))).toEqual({ err: { group: SmpGroup.Image, rc: 9 } });
    expect(await answer(device, erase(1))).toEqual({ rc: 6 });
    expect((await booted!.client.imageList()).images[1]).toMatchObject({ slot: 1, pending: true });
  });

  it('smp_svr refuses an upload over it with NO_FREE_SLOT, and the slot stays pending', async () => {
    const { two, device } = await pendingTwo();
    const first = { off: 0, len: two.length, data: two.subarray(0, 256) };
    expect(await answer(device, uploadPacket(first))).toEqual({ err: { group: SmpGroup.Image, rc: 9 } });
    expect((await booted!.client.imageList()).images[1]).toMatchObject({ slot: 1, pending: true });
  });

  it('with ALLOW_ERASE_PENDING both the erase and a new upload are accepted', async () => {
    const { two, device } = await pendingTwo(withServer({ allowErasePending: true }));
    const first = { off: 0, len: two.length, data: two.subarray(0, 256) };
    expect(await answer(device, uploadPacket(first))).toEqual({ off: 256 });
    expect(await answer(device, erase(2))).toEqual({});
  });
});

describe('the image manager logs on the console', () => {
  // grp/img_mgmt/src/zephyr_img_mgmt.c img_mgmt_erase_image_data (v3.5.0): LOG_INF("Erased 0x%zx
  // bytes of image slot") for the sectors from the slot start to the one holding the image's last
  // byte, then LOG_INF("Erased 0x%zx bytes of image slot trailer") from the sector holding
  // boot_get_trailer_status_offset() (slot size − 16 − 2 × BOOT_MAX_ALIGN) to the slot end. Only
  // when img_mgmt_flash_check_empty finds old data: a blank slot logs nothing. Module
  // mcumgr_img_grp (img_mgmt.c LOG_MODULE_REGISTER), Zephyr's default log format. Logging is
  // deferred (subsys/logging/log_core.c z_log_msg_post_finalize): the first queued message starts
  // a CONFIG_LOG_PROCESS_THREAD_SLEEP_MS (1000 ms) timer, so the line follows the response.
  const imgLines = (lines: readonly string[]) =>
    lines.filter((l) => l.includes('mcumgr_img_grp')).map((l) => l.replace(/^\[[\d:.,]+\] /, ''));

  async function logged(count: number): Promise<string[]> {
    const deadline = Date.now() + 5000;
    while (imgLines(booted!.consoleLines).length < count && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return imgLines(booted!.consoleLines);
  }

  it('an upload over old data logs its two erases (stm32f4: 128 KiB sectors), after the answer', async () => {
    booted = await bootDevice();
    // The app's start-up lines (littlefs failing to mount on this board's one-sector storage) are
    // queued at boot; the log thread prints them a second later. Wait, so that the erase lines
    // below start a batch of their own.
    const startup = Date.now() + 5000;
    while (!booted.consoleLines.some((l) => l.includes('Error mounting littlefs')) && Date.now() < startup) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const two = await blinky('blinky-two');
    await uploadAll(booted.device, two);
    expect(imgLines(booted.consoleLines)).toEqual([]);
    const answeredAt = Date.now();
    await answer(booted.device, uploadPacket({ off: 0, len: two.length, data: two.subarray(0, 256) }));
    // Answered; the log thread has not printed yet.
    expect(imgLines(booted.consoleLines)).toEqual([]);
    expect(await logged(2)).toEqual([
      '<inf> mcumgr_img_grp: Erased 0x20000 bytes of image slot',
      '<inf> mcumgr_img_grp: Erased 0x20000 bytes of image slot trailer',
    ]);
    expect(Date.now() - answeredAt).toBeGreaterThanOrEqual(900);
  });

  it('on the ESP32 (4 KiB sectors) the erase covers the image rounded up to a sector', async () => {
    booted = await bootDevice({ board: 'esp32_devkitc_wroom' });
    const two = await blinky('blinky-two');
    booted.device.programSlot(1, two);
    await answer(booted.device, uploadPacket({ off: 0, len: two.length, data: two.subarray(0, 256) }));
    const sectors = Math.ceil(two.length / 0x1000) * 0x1000;
    expect(await logged(2)).toEqual([
      `<inf> mcumgr_img_grp: Erased 0x${sectors.toString(16)} bytes of image slot`,
      '<inf> mcumgr_img_grp: Erased 0x1000 bytes of image slot trailer',
    ]);
  });

  it('a refused upload logs the inspect failure (LOG_ERR in img_mgmt_upload)', async () => {
    booted = await bootDevice();
    await answer(booted.device, uploadPacket({ off: 0, len: 64, data: new Uint8Array(64) }));
    expect(await logged(1)).toEqual(['<err> mcumgr_img_grp: Image upload inspect failed: 23']);
  });

  it('on the UART the response frame goes first, the log line later, both intact', async () => {
    booted = await bootDevice();
    const two = await blinky('blinky-two');
    booted.device.programSlot(1, two);
    const decoder = new SerialFrameDecoder();
    const events: SerialEvent[] = [];
    booted.device.onUart((bytes) => events.push(...decoder.push(bytes)));
    const request = uploadPacket({ off: 0, len: two.length, data: two.subarray(0, 256) }, 5);
    booted.device.uartReceive(encodeSerialFrame(request));
    const erased = (e: SerialEvent) =>
      e.kind === 'text' && e.text.includes('Erased 0x20000 bytes of image slot');
    const deadline = Date.now() + 5000;
    while (!events.some(erased) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const packetAt = events.findIndex((e) => e.kind === 'packet');
    expect(packetAt).toBeGreaterThanOrEqual(0);
    expect(events.findIndex(erased)).toBeGreaterThan(packetAt);
    const packet = events[packetAt];
    expect(packet?.kind === 'packet' && decodePacket(packet.packet).body).toEqual({ off: 256 });
    expect(events.filter((e) => e.kind === 'bad-frame')).toEqual([]);
  });

  it('a reset before the log thread ran loses the queued lines, as on the board', async () => {
    booted = await bootDevice();
    const two = await blinky('blinky-two');
    booted.device.programSlot(1, two);
    await answer(booted.device, uploadPacket({ off: 0, len: two.length, data: two.subarray(0, 256) }));
    await booted.reset();
    await booted.appStarted();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(imgLines(booted.consoleLines)).toEqual([]);
  });
});

describe('image list: only slots holding a valid image', () => {
  // grp/img_mgmt/src/img_mgmt_state.c img_mgmt_state_encode_slot lists a slot only when
  // img_mgmt.c img_mgmt_read_info returns 0: MCUboot's header magic (erased flash is NO_IMAGE), a
  // TLV info right after the body (else NO_TLVS), a SHA-256 TLV inside it (else HASH_NOT_FOUND).
  // TLVs after the hash are skipped unread. The list is then {"images": [...], "splitStatus": 0}.
  it('blank flash lists no slot at all', async () => {
    const board = getBoard('stm32f4_disco');
    const server = new SmpServer({ netbufSize: 384 });
    const areas = bootAreas(createBoardFlash(board), board);
    registerImageGroup(server, {
      slots: new ImageSlots(board, [areas.primary, areas.secondary]),
      runningVersion: () => undefined,
    });
    const list = encodePacket(
      { version: 2, op: 0, flags: 0, group: SmpGroup.Image, sequence: 1, command: 0 },
      {},
    );
    const [response] = await server.handlePacket(list);
    expect(decodePacket(response!).body).toEqual({ images: [], splitStatus: 0 });
  });

  it('a half-uploaded slot 1 is invisible; cut inside the signature TLV it is listed', async () => {
    booted = await bootDevice();
    const two = await blinky('blinky-two');
    const sha = await sha256(two);
    const send = async (upTo: number) => {
      let off = 0;
      while (off < upTo) {
        const data = two.subarray(off, Math.min(off + 256, upTo));
        const body: CborMap = off === 0 ? { off, len: two.length, sha, data } : { off, data };
        off = ((await answer(booted!.device, uploadPacket(body))) as { off: number }).off;
      }
    };
    await send(Math.floor(two.length / 2));
    expect((await booted.client.imageList()).images.map((i) => i.slot)).toEqual([0]);
    // The rest but the last 100 bytes: inside the RSA signature TLV (the last 260 bytes).
    let off = Math.floor(two.length / 2);
    while (off < two.length - 100) {
      const data = two.subarray(off, Math.min(off + 256, two.length - 100));
      off = ((await answer(booted.device, uploadPacket({ off, data }))) as { off: number }).off;
    }
    const listed = (await booted.client.imageList()).images;
    expect(listed.map((i) => i.slot)).toEqual([0, 1]);
    expect(listed[1]?.hash).toEqual(parseImage(two).sha256Hash);
  });
});

describe('os group: taskstat and echo', () => {
  // grp/os_mgmt/src/os_mgmt.c os_mgmt_taskstat_read (smp_svr's prj.conf sets
  // CONFIG_MCUMGR_GRP_OS_TASKSTAT=y): {"tasks": {name: {"prio", "tid", "state"}}}, threads newest
  // first with tid = their index; grp/os_mgmt/Kconfig: ONLY_SUPPORTED_STATS defaults to y (no
  // runtime/cswcnt/checkins), STACK_INFO has no default (no stksiz/stkuse), priorities signed.
  const taskstat = encodePacket(
    { version: 2, op: 0, flags: 0, group: SmpGroup.Os, sequence: 3, command: 2 },
    {},
  );

  it('answers taskstat with the app threads, newest first', async () => {
    booted = await bootDevice();
    await booted.appStarted();
    expect(await answer(booted.device, taskstat)).toEqual({
      tasks: {
        'mcumgr smp': { prio: 3, tid: 0, state: 128 },
        // The shell's dummy backend (shell_mgmt) runs a shell thread of its own.
        shell_dummy: { prio: 14, tid: 1, state: 2 },
        logging: { prio: 14, tid: 2, state: 2 },
        sysworkq: { prio: -1, tid: 3, state: 2 },
        idle: { prio: 15, tid: 4, state: 0 },
        main: { prio: 0, tid: 5, state: 16 },
      },
    });
  });

  it('a UDP build also lists the smp_udp receive threads (smp_udp.c, Kconfig.udp prio 0)', async () => {
    booted = await bootDevice({ board: withServer({ udpTransport: true }) });
    const body = (await answer(booted.device, taskstat)) as { tasks: Record<string, unknown> };
    expect(Object.keys(body.tasks)).toEqual([
      'smp_udp6',
      'smp_udp4',
      'mcumgr smp',
      'shell_dummy',
      'logging',
      'sysworkq',
      'idle',
      'main',
    ]);
    expect(body.tasks.smp_udp4).toEqual({ prio: 0, tid: 1, state: 2 });
  });

  it('with stack info and the unsupported fields, keys come in os_mgmt.c order', async () => {
    // All nine keys for five threads do not fit a serial build's 384-byte netbuf (Zephyr answers
    // that with MGMT_ERR_EMSGSIZE, as the server here does), so this build has the UDP netbuf.
    const options = { udpTransport: true, taskstat: { stackInfo: true, onlySupportedStats: false } };
    booted = await bootDevice({ board: withServer(options) });
    const body = (await answer(booted.device, taskstat)) as { tasks: Record<string, Record<string, number>> };
    const main = body.tasks.main!;
    expect(Object.keys(main)).toEqual([
      'prio',
      'tid',
      'state',
      'stksiz',
      'stkuse',
      'runtime',
      'cswcnt',
      'last_checkin',
      'next_checkin',
    ]);
    // stack_info.size / 4 of CONFIG_MAIN_STACK_SIZE=2048; stkuse 0 without CONFIG_INIT_STACKS.
    expect(main).toMatchObject({ stksiz: 512, stkuse: 0, runtime: 0 });
  });

  it('a build without the shell has no shell thread', async () => {
    booted = await bootDevice({ board: withServer({ shell: false }) });
    const body = (await answer(booted.device, taskstat)) as { tasks: Record<string, unknown> };
    expect(Object.keys(body.tasks)).toEqual(['mcumgr smp', 'logging', 'sysworkq', 'idle', 'main']);
  });

  it('the same in a serial build does not fit its netbuf: MGMT_ERR_EMSGSIZE (7)', async () => {
    booted = await bootDevice({
      board: withServer({ taskstat: { stackInfo: true, onlySupportedStats: false } }),
    });
    expect(await answer(booted.device, taskstat)).toEqual({ rc: 7 });
  });

  it('a build without taskstat answers MGMT_ERR_ENOTSUP (8)', async () => {
    booted = await bootDevice({ board: withServer({ taskstat: false }) });
    expect(await answer(booted.device, taskstat)).toEqual({ rc: 8 });
  });

  // os_mgmt.c os_mgmt_echo: "d" decodes into a zcbor_string that starts empty, so {} is {"r": ""}.
  it('echo without "d" answers an empty "r"', async () => {
    booted = await bootDevice();
    const echo = encodePacket(
      { version: 2, op: 2, flags: 0, group: SmpGroup.Os, sequence: 4, command: 0 },
      {},
    );
    expect(await answer(booted.device, echo)).toEqual({ r: '' });
  });
});

describe('stat group: list and an unknown group', () => {
  // grp/stat_mgmt/src/stat_mgmt.c stat_mgmt_list writes "rc": 0 first, then "stat_list";
  // stat_mgmt_show answers a name it does not know with smp_add_cmd_err(ZEPHYR_MGMT_GRP_BASIC,
  // STAT_MGMT_ERR_INVALID_STAT_NAME): v2 {"err": {"group": 63, "rc": 3}} (fixed only by Zephyr PR
  // #104682 in 2026); v1 goes through smp.c smp_translate_error_code, which asks group 63's
  // translator (zephyr basic, registered on this device): rc 3 is its FLASH_ERASE_FAILED, which it
  // translates to MGMT_ERR_EOK, so smp.c sends the handler's body as it is.
  const show = (version: 1 | 2) =>
    encodePacket(
      { version, op: 0, flags: 0, group: SmpGroup.Stat, sequence: 6, command: 0 },
      { name: 'nope' },
    );

  it('stat list puts "rc": 0 before the list', async () => {
    booted = await bootDevice();
    await booted.appStarted();
    const list = encodePacket(
      { version: 2, op: 0, flags: 0, group: SmpGroup.Stat, sequence: 5, command: 1 },
      {},
    );
    const body = (await answer(booted.device, list)) as CborMap;
    expect(Object.keys(body)).toEqual(['rc', 'stat_list']);
    expect(body).toEqual({ rc: 0, stat_list: ['smp_server_stats'] });
  });

  it('an unknown group: group 63 rc 3, in v2 and (through the zephyr basic translator) in v1', async () => {
    booted = await bootDevice();
    expect(await answer(booted.device, show(2))).toEqual({ err: { group: 63, rc: 3 } });
    expect(await answer(booted.device, show(1))).toEqual({ err: { group: 63, rc: 3 } });
  });
});

describe('a request larger than the receive buffer gets no answer', () => {
  // transport/src/smp_uart.c hands each line to transport/src/serial_util.c
  // mcumgr_serial_process_frag, which decodes the frame into one netbuf of
  // CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE (length and CRC included) and drops, without a word, a
  // packet that does not fit; the client hears nothing and must time out.
  function echoOfSize(frameBytes: number, sequence: number): Uint8Array {
    const header = { version: 2 as const, op: 2, flags: 0, group: SmpGroup.Os, sequence, command: 0 };
    // Frame = 2-byte length + packet + 2-byte CRC; the text's CBOR head grows with its length.
    for (let n = frameBytes; n > 0; n--) {
      const packet = encodePacket(header, { d: 'x'.repeat(n) });
      if (packet.length + 4 === frameBytes) return packet;
    }
    throw new Error(`no echo makes a ${frameBytes}-byte frame`);
  }

  it('on the serial build: 385 bytes with length and CRC are dropped, 384 answered', async () => {
    booted = await bootDevice();
    await booted.appStarted();
    const decoder = new SerialFrameDecoder();
    const answered: number[] = [];
    booted.device.onUart((bytes) => {
      for (const event of decoder.push(bytes)) {
        if (event.kind === 'packet') answered.push(decodePacket(event.packet).header.sequence);
      }
    });
    const tooBig = echoOfSize(385, 1);
    const fits = echoOfSize(384, 2);
    expect([tooBig.length + 4, fits.length + 4]).toEqual([385, 384]);
    booted.device.uartReceive(encodeSerialFrame(tooBig));
    booted.device.uartReceive(encodeSerialFrame(fits));
    const deadline = Date.now() + 5000;
    while (!answered.includes(2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    // The small echo sent after the big one is answered: the big one never will be.
    expect(answered).toEqual([2]);
  });
});
