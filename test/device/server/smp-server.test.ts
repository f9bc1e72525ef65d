import { describe, expect, it } from 'vitest';
import { createBoardFlash, getBoard } from '../../../src/device/boards/index.ts';
import { bootAreas } from '../../../src/device/mcuboot/boot.ts';
import { smpServerBuild } from '../../../src/device/server/build-config.ts';
import { SmpServer } from '../../../src/device/server/smp-server.ts';
import { registerImageGroup } from '../../../src/groups/image/server.ts';
import { ImageSlots } from '../../../src/groups/image/slots.ts';
import { registerOsGroup } from '../../../src/groups/os/server.ts';
import { type CborMap, decodePacket, encodeCbor, splitMessages } from '../../../src/smp/codec.ts';
import { errorFromResponse, MgmtErr } from '../../../src/smp/errors.ts';
import { SmpGroup } from '../../../src/smp/group-ids.ts';

const board = getBoard('stm32f4_disco');
const build = smpServerBuild(board);

function makeServer(verboseErrors = false): SmpServer {
  const server = new SmpServer({ netbufSize: build.netbufSize, verboseErrors });
  const areas = bootAreas(createBoardFlash(board), board);
  registerOsGroup(server, { board, build, requestReset: () => undefined });
  registerImageGroup(server, {
    slots: new ImageSlots(board, [areas.primary, areas.secondary]),
    runningVersion: () => undefined,
  });
  return server;
}

interface RawRequest {
  versionBits?: number;
  op: number;
  group: number;
  command: number;
  sequence: number;
  /** Raw payload bytes, or a map to encode as CBOR. */
  payload?: Uint8Array | CborMap;
  /** Overrides the header length field (for truncated messages). */
  length?: number;
}

function rawPacket(request: RawRequest): Uint8Array {
  const payload = request.payload instanceof Uint8Array ? request.payload : encodeCbor(request.payload ?? {});
  const packet = new Uint8Array(8 + payload.length);
  const view = new DataView(packet.buffer);
  packet[0] = ((request.versionBits ?? 1) << 3) | request.op;
  packet[1] = 0;
  view.setUint16(2, request.length ?? payload.length);
  view.setUint16(4, request.group);
  packet[6] = request.sequence;
  packet[7] = request.command;
  packet.set(payload, 8);
  return packet;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

async function ask(server: SmpServer, request: RawRequest) {
  const responses = await server.handlePacket(rawPacket(request));
  expect(responses).toHaveLength(1);
  return decodePacket(responses[0]!);
}

const ECHO = { group: SmpGroup.Os, command: 0, op: 2 };
const IMAGE_STATE = { group: SmpGroup.Image, command: 0 };

describe('SmpServer dispatcher (raw packets)', () => {
  it('answers an unknown group with ENOTSUP, echoing seq/group/cmd and op + 1', async () => {
    const server = makeServer();
    const response = await ask(server, { op: 0, group: 77, command: 3, sequence: 0x5a });
    expect(response.header).toMatchObject({ version: 2, op: 1, group: 77, command: 3, sequence: 0x5a });
    expect(response.body).toEqual({ rc: MgmtErr.ENOTSUP });
  });

  it('answers an unknown command of a known group with ENOTSUP (write → op 3)', async () => {
    const server = makeServer();
    const response = await ask(server, { op: 2, group: SmpGroup.Os, command: 99, sequence: 7 });
    expect(response.header).toMatchObject({ op: 3, group: SmpGroup.Os, command: 99, sequence: 7 });
    expect(response.body).toEqual({ rc: MgmtErr.ENOTSUP });
  });

  it('answers the right command with the wrong op (upload as a read) with ENOTSUP', async () => {
    const response = await ask(makeServer(), {
      group: SmpGroup.Image,
      command: 1,
      op: 0,
      sequence: 1,
      payload: { off: 0, data: new Uint8Array(1) },
    });
    expect(response.body).toEqual({ rc: MgmtErr.ENOTSUP });
  });

  it('answers echo sent as a read, as Zephyr registers the echo handler for both ops', async () => {
    const response = await ask(makeServer(), { ...ECHO, op: 0, sequence: 1, payload: { d: 'x' } });
    expect(response.header).toMatchObject({ op: 1, sequence: 1 });
    expect(response.body).toEqual({ r: 'x' });
  });

  it('rejects version bits 0b10 with UNSUPPORTED_TOO_NEW (13)', async () => {
    const response = await ask(makeServer(), {
      ...ECHO,
      versionBits: 0b10,
      sequence: 9,
      payload: { d: 'hi' },
    });
    expect(response.header).toMatchObject({ version: 2, op: 3, sequence: 9 });
    expect(response.body).toEqual({ rc: MgmtErr.UNSUPPORTED_TOO_NEW });
  });

  it('answers v1 requests in v1 and v2 requests in v2', async () => {
    const server = makeServer();
    const v1 = await ask(server, { ...ECHO, versionBits: 0, sequence: 2, payload: { d: 'one' } });
    expect(v1.header.version).toBe(1);
    expect(v1.body).toEqual({ r: 'one' });
    const v2 = await ask(server, { ...ECHO, versionBits: 1, sequence: 3, payload: { d: 'two' } });
    expect(v2.header.version).toBe(2);
    expect(v2.body).toEqual({ r: 'two' });
  });

  it.each([
    ['bad CBOR', Uint8Array.of(0xbf, 0x61)],
    ['a non-map payload (array)', Uint8Array.of(0x82, 0x01, 0x02)],
    ['a non-map payload (text)', Uint8Array.of(0x62, 0x68, 0x69)],
    ['an empty payload', new Uint8Array(0)],
  ])('answers %s with EINVAL', async (_what, payload) => {
    const response = await ask(makeServer(), { ...ECHO, sequence: 4, payload });
    expect(response.body).toEqual({ rc: MgmtErr.EINVAL });
  });

  it('answers a wrong-typed key (confirm: 1, d: 5) with EINVAL', async () => {
    const server = makeServer();
    const state = await ask(server, { ...IMAGE_STATE, op: 2, sequence: 5, payload: { confirm: 1 } });
    expect(state.body).toEqual({ rc: MgmtErr.EINVAL });
    const echo = await ask(server, { ...ECHO, sequence: 6, payload: { d: 5 } });
    expect(echo.body).toEqual({ rc: MgmtErr.EINVAL });
  });

  it('answers a wrong-typed upload key with EINVAL, as Zephyr does on a decode failure', async () => {
    const upload = { group: SmpGroup.Image, command: 1, op: 2 };
    const response = await ask(makeServer(), {
      ...upload,
      sequence: 8,
      payload: { off: 0, len: 'big', data: new Uint8Array(32) },
    });
    expect(response.body).toEqual({ rc: MgmtErr.EINVAL });
  });

  it('sends a group error as {err: {group, rc}} to v2 and the translated rc to v1', async () => {
    const server = makeServer();
    // A test without a hash: IMG_MGMT_ERR_INVALID_HASH (24).
    const v2 = await ask(server, { ...IMAGE_STATE, op: 2, sequence: 10, payload: { confirm: false } });
    expect(v2.body).toEqual({ err: { group: SmpGroup.Image, rc: 24 } });
    const error = errorFromResponse(v2.body);
    expect(error?.codeName).toBe('INVALID_HASH');

    const v1 = await ask(server, {
      ...IMAGE_STATE,
      versionBits: 0,
      op: 2,
      sequence: 11,
      payload: { confirm: false },
    });
    expect(v1.header.version).toBe(1);
    expect(v1.body).toEqual({ rc: MgmtErr.EINVAL });
  });

  it('with verbose errors adds "rsn" only where the handler gave a reason, never to v2 group errors', async () => {
    const server = makeServer(true);
    // smp.c smp_build_err_rsp writes "rsn" only when a handler set one (MGMT_CTXT_SET_RC_RSN):
    // a bad echo and an image state error are bare rcs even in a verbose build.
    const badEcho = await ask(server, { ...ECHO, sequence: 11, payload: { d: 1 } });
    expect(badEcho.body).toEqual({ rc: MgmtErr.EINVAL });
    const v2 = await ask(server, { ...IMAGE_STATE, op: 2, sequence: 12, payload: {} });
    expect(v2.body).toEqual({ err: { group: SmpGroup.Image, rc: 24 } });
    const v1 = await ask(server, { ...IMAGE_STATE, versionBits: 0, op: 2, sequence: 13, payload: {} });
    expect(v1.body).toEqual({ rc: MgmtErr.EINVAL });
    // img_mgmt.c img_mgmt_upload: what img_mgmt_upload_inspect refuses carries its reason string.
    const upload = { versionBits: 0, op: 2, group: SmpGroup.Image, command: 1, sequence: 14 };
    const badMagic = await ask(server, {
      ...upload,
      payload: { off: 0, len: 64, data: new Uint8Array(64) },
    });
    expect(badMagic.body).toEqual({ rc: MgmtErr.EUNKNOWN, rsn: 'magic mismatch' });
  });

  it('answers two requests concatenated in one packet with two responses, in order', async () => {
    const server = makeServer();
    const packet = concat(
      rawPacket({ ...ECHO, sequence: 20, payload: { d: 'first' } }),
      rawPacket({ ...ECHO, sequence: 21, payload: { d: 'second' } }),
    );
    const responses = (await server.handlePacket(packet)).map(decodePacket);
    expect(responses.map((r) => r.header.sequence)).toEqual([20, 21]);
    expect(responses.map((r) => r.body)).toEqual([{ r: 'first' }, { r: 'second' }]);
  });

  it('answers a truncated second message with ECORRUPT after the first response', async () => {
    const server = makeServer();
    const second = rawPacket({ ...ECHO, sequence: 31, payload: { d: 'cut' } });
    const packet = concat(
      rawPacket({ ...ECHO, sequence: 30, payload: { d: 'whole' } }),
      second.subarray(0, second.length - 3),
    );
    const responses = (await server.handlePacket(packet)).map(decodePacket);
    expect(responses).toHaveLength(2);
    expect(responses[0]!.body).toEqual({ r: 'whole' });
    expect(responses[1]!.header).toMatchObject({ sequence: 31, op: 3, group: SmpGroup.Os, command: 0 });
    expect(responses[1]!.body).toEqual({ rc: MgmtErr.ECORRUPT });
  });

  it('sends nothing for fewer than 8 bytes left after a message', async () => {
    const server = makeServer();
    const packet = concat(rawPacket({ ...ECHO, sequence: 40, payload: { d: 'a' } }), Uint8Array.of(1, 2, 3));
    const responses = await server.handlePacket(packet);
    expect(responses).toHaveLength(1);
    expect(decodePacket(responses[0]!).body).toEqual({ r: 'a' });
  });

  it('stops at the first error in a packet', async () => {
    const server = makeServer();
    const packet = concat(
      rawPacket({ op: 0, group: 77, command: 0, sequence: 50 }),
      rawPacket({ ...ECHO, sequence: 51, payload: { d: 'never' } }),
    );
    const responses = (await server.handlePacket(packet)).map(decodePacket);
    expect(responses.map((r) => r.header.sequence)).toEqual([50]);
  });

  it('writes responses as indefinite-length maps that the client codec decodes', async () => {
    const server = makeServer();
    const [packet] = await server.handlePacket(rawPacket({ ...ECHO, sequence: 60, payload: { d: 'map' } }));
    expect(packet![8]).toBe(0xbf);
    expect(packet![packet!.length - 1]).toBe(0xff);
    expect(splitMessages(packet!)).toHaveLength(1);
    expect(decodePacket(packet!).body).toEqual({ r: 'map' });

    const [list] = await server.handlePacket(rawPacket({ ...IMAGE_STATE, op: 0, sequence: 61 }));
    expect(list![8]).toBe(0xbf);
    // Nested containers are indefinite too: "images" is 0x9F ... 0xFF.
    const body = list!.subarray(8);
    const key = new TextEncoder().encode('images');
    const at = body.findIndex((_, i) => key.every((b, j) => body[i + j] === b));
    expect(body[at + key.length]).toBe(0x9f);
    expect(decodePacket(list!).body).toEqual({ images: [], splitStatus: 0 });
  });
});
