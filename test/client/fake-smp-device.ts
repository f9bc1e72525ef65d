/**
 * Test scaffolding only: a small SMP device on a memory link that follows Zephyr's image-upload
 * state machine (smp-protocol.md §4.2.1) closely enough to exercise the upload engine and the CLI.
 * Requests are queued and answered one per macrotask, so a pipelining client really has several
 * requests waiting, as on a real link. The real virtual device lives in src/device/.
 */
import { createHash } from 'node:crypto';
import { imageStateRead, imageStateWrite, imageUpload } from '../../src/groups/image/models.ts';
import { echo, mcumgrParams, reset } from '../../src/groups/os/models.ts';
import { statList, statShow } from '../../src/groups/stat/models.ts';
import { type CborMap, decodePacket, encodePacket } from '../../src/smp/codec.ts';
import {
  type DecodedRequestOf,
  decodeRequest,
  encodeResponse,
  type SmpCommand,
} from '../../src/smp/command.ts';
import { responseOpFor, type SmpHeader, SmpOp } from '../../src/smp/header.ts';
import { createMemoryLink, type MemoryTransport } from '../../src/transport/memory.ts';

const IMAGE_MAGIC = 0x96f3b83d;

export interface UploadRequestSeen {
  readonly off: number;
  readonly dataLength: number;
  readonly packetLength: number;
  readonly first: boolean;
  readonly hasSha: boolean;
  readonly hasLen: boolean;
  readonly image: number | undefined;
  /** Requests that had arrived behind this one when it was handled (the client's window − 1). */
  readonly waiting: number;
}

export interface FakeDeviceOptions {
  mtu?: number;
  /** Reported by os mcumgr params; undefined → the device answers ENOTSUP. */
  params?: { buf_size: number; buf_count: number };
  /** Send `match` on the final chunk (CONFIG_IMG_ENABLE_IMAGE_CHECK). */
  imageCheck?: boolean;
  /** Slot size; a longer `len` gives err 30. */
  slotSize?: number;
  /** Larger requests are dropped unanswered, as Zephyr drops what exceeds its netbuf. */
  maxRequest?: number;
}

interface UploadState {
  off: number;
  size: number;
  sha: Uint8Array | undefined;
}

type Handler = (header: SmpHeader, body: CborMap) => CborMap;

export class FakeSmpDevice {
  /** The client end of the first link; `connect()` makes more (one per CLI command). */
  readonly client: MemoryTransport;
  readonly uploads: UploadRequestSeen[] = [];
  /** Most requests received but not yet answered at once (shows the client's window). */
  maxQueued = 0;
  slot: Uint8Array;
  upload: UploadState | undefined;
  /** Drop the reply to the nth upload request (1-based) once; the request itself is processed. */
  dropReplyTo = new Set<number>();
  /** Drop the nth upload request (1-based) before processing, as a line lost on the wire. */
  dropRequest = new Set<number>();
  /** Replace the stored bytes before the final hash check (to provoke match=false). */
  corruptStored = false;
  /** Process requests but never answer (a device whose replies are lost). */
  silent = false;
  /** Every request received, as `group/command`. */
  readonly received: string[] = [];
  resets = 0;
  images: CborMap[] = [];
  stats: Record<string, Record<string, number>> = { smp_svr_stats: { ticks: 7 } };
  private readonly queue: Array<{ packet: Uint8Array; end: MemoryTransport }> = [];
  private busy = false;
  private uploadCount = 0;
  private readonly handlers = new Map<string, Handler>();

  constructor(private readonly options: FakeDeviceOptions = {}) {
    this.client = this.connect();
    this.slot = new Uint8Array(options.slotSize ?? 64 * 1024).fill(0xff);
    this.on(echo, (body) => ({ r: body.d }));
    this.on(reset, () => {
      this.resets++;
      return {};
    });
    this.on(mcumgrParams, () => {
      if (this.options.params === undefined) throw new RcError(8);
      return this.options.params;
    });
    this.on(statList, () => ({ stat_list: Object.keys(this.stats) }));
    this.on(statShow, (body) => {
      const fields = this.stats[body.name];
      if (fields === undefined) throw new GroupError(2, 3);
      return { name: body.name, fields };
    });
    this.on(imageStateRead, () => ({ images: this.listedImages(), splitStatus: 0 }));
    this.on(imageStateWrite, (body) => {
      const hash = body.hash;
      const target = this.images.find((i) => hash !== undefined && equal(i.hash as Uint8Array, hash));
      if (target === undefined) throw new GroupError(1, 8);
      target.pending = true;
      return { images: this.images, splitStatus: 0 };
    });
    this.handlers.set(key(imageUpload), (_header, body) => this.handleUpload(body));
  }

  /** A fresh link to this device, as a new serial session or UDP socket would be. */
  connect(): MemoryTransport {
    const [client, end] = createMemoryLink({ mtu: this.options.mtu ?? 256 });
    end.onPacket((packet) => this.enqueue(packet, end));
    return client;
  }

  private on<C extends SmpCommand>(command: C, handle: (body: DecodedRequestOf<C>) => object): void {
    this.handlers.set(key(command), (_header, raw) => {
      const body = decodeRequest(command, raw);
      return encodeResponse(command, handle(body) as never);
    });
  }

  private enqueue(packet: Uint8Array, end: MemoryTransport): void {
    this.queue.push({ packet, end });
    this.maxQueued = Math.max(this.maxQueued, this.queue.length);
    this.schedule();
  }

  private schedule(): void {
    if (this.busy || this.queue.length === 0) return;
    this.busy = true;
    setImmediate(() => {
      const next = this.queue.shift();
      this.busy = false;
      if (next !== undefined) this.process(next.packet, next.end);
      this.schedule();
    });
  }

  private process(packet: Uint8Array, end: MemoryTransport): void {
    if (this.options.maxRequest !== undefined && packet.length > this.options.maxRequest) return;
    const { header, body } = decodePacket(packet);
    this.received.push(`${header.group}/${header.command}`);
    const handler = this.handlers.get(`${header.group}/${header.command}/${header.op}`);
    let uploadNumber = 0;
    if (header.group === 1 && header.command === 1) {
      uploadNumber = ++this.uploadCount;
      const b = body as CborMap;
      this.uploads.push({
        off: b.off as number,
        dataLength: (b.data as Uint8Array).length,
        packetLength: packet.length,
        first: b.off === 0,
        hasSha: b.sha !== undefined,
        hasLen: b.len !== undefined,
        image: b.image as number | undefined,
        waiting: this.queue.length,
      });
      if (this.dropRequest.delete(uploadNumber)) return;
    }
    let response: CborMap;
    if (handler === undefined) {
      response = { rc: 8 };
    } else {
      try {
        response = handler(header, (body ?? {}) as CborMap);
      } catch (err) {
        if (err instanceof RcError) response = { rc: err.rc };
        else if (err instanceof GroupError) {
          response = header.version === 2 ? { err: { group: err.group, rc: err.rc } } : { rc: 1 };
          if (header.group === 1 && header.command === 1) this.upload = undefined;
        } else throw err;
      }
    }
    if (this.silent || (uploadNumber > 0 && this.dropReplyTo.delete(uploadNumber))) return;
    const reply = encodePacket(
      {
        version: header.version,
        op: responseOpFor(header.op),
        flags: 0,
        group: header.group,
        sequence: header.sequence,
        command: header.command,
      },
      response,
    );
    if (!end.isClosed) void end.send(reply);
  }

  private handleUpload(raw: CborMap): CborMap {
    const body = decodeRequest(imageUpload, raw);
    const data = body.data;
    if (body.off === 0) {
      if (data.length < 32) throw new GroupError(1, 22);
      if (body.len === undefined) throw new GroupError(1, 21);
      const magic = new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true);
      if (magic !== IMAGE_MAGIC) throw new GroupError(1, 23);
      const sha = body.sha;
      if (sha !== undefined && sha.length > 32) throw new GroupError(1, 24);
      if (sha !== undefined && this.upload?.sha !== undefined && equal(this.upload.sha, sha)) {
        return { off: this.upload.off };
      }
      if (body.len > this.slot.length) throw new GroupError(1, 30);
      this.slot.fill(0xff);
      this.upload = { off: 0, size: body.len, sha };
    } else {
      const expected = this.upload?.off ?? 0;
      if (this.upload === undefined || body.off !== expected) return { off: expected };
      if (body.off + data.length > this.upload.size) throw new GroupError(1, 31);
    }
    const state = this.upload;
    if (state === undefined) return { off: 0 };
    this.slot.set(data, state.off);
    state.off += data.length;
    if (state.off < state.size) return { off: state.off };
    this.upload = undefined;
    if (!this.options.imageCheck || state.sha === undefined) return { off: state.off };
    if (this.corruptStored) this.slot[0] = (this.slot[0] ?? 0) ^ 0xff;
    const stored = this.slot.slice(0, state.size);
    return { off: state.off, match: equal(sha256Sync(stored), state.sha) };
  }

  /**
   * `images` as the test set them; without a slot-1 row there, the slot's own content is listed as
   * slot 1 when it holds a whole image (header, body, SHA256 TLV), as Zephyr's image list does.
   */
  private listedImages(): CborMap[] {
    if (this.images.some((row) => row.slot === 1)) return this.images;
    const view = new DataView(this.slot.buffer, this.slot.byteOffset, this.slot.byteLength);
    if (view.getUint32(0, true) !== IMAGE_MAGIC) return this.images;
    const tlv = view.getUint16(8, true) + view.getUint32(12, true);
    if (tlv + 40 > this.slot.length || view.getUint16(tlv, true) !== 0x6907) return this.images;
    if (view.getUint16(tlv + 4, true) !== 0x10 || view.getUint16(tlv + 6, true) !== 32) return this.images;
    const version = `${this.slot[20]}.${this.slot[21]}.${view.getUint16(22, true)}`;
    const row: CborMap = {
      slot: 1,
      version,
      hash: this.slot.slice(tlv + 8, tlv + 40),
      bootable: true,
      pending: false,
      confirmed: false,
      active: false,
      permanent: false,
    };
    return [...this.images, row];
  }

  /** Bytes stored in the slot so far. */
  stored(length: number): Uint8Array {
    return this.slot.slice(0, length);
  }
}

class RcError extends Error {
  constructor(readonly rc: number) {
    super(`rc ${rc}`);
  }
}

class GroupError extends Error {
  constructor(
    readonly group: number,
    readonly rc: number,
  ) {
    super(`group ${group} rc ${rc}`);
  }
}

function key(command: SmpCommand): string {
  return `${command.group}/${command.id}/${command.op === 'read' ? SmpOp.Read : SmpOp.Write}`;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

// The device hashes synchronously (as firmware does); Node's crypto is fine in test scaffolding.
function sha256Sync(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** Builds a minimal valid MCUboot image: header, body, unprotected TLV area with SHA256. */
export function buildTestImage(
  bodyLength: number,
  version = { major: 1, minor: 2, revision: 3, build: 0 },
): Uint8Array {
  const headerSize = 32;
  const tlvArea = 4 + 4 + 32;
  const image = new Uint8Array(headerSize + bodyLength + tlvArea);
  const view = new DataView(image.buffer);
  view.setUint32(0, IMAGE_MAGIC, true);
  view.setUint32(4, 0, true);
  view.setUint16(8, headerSize, true);
  view.setUint16(10, 0, true);
  view.setUint32(12, bodyLength, true);
  view.setUint32(16, 0, true);
  view.setUint8(20, version.major);
  view.setUint8(21, version.minor);
  view.setUint16(22, version.revision, true);
  view.setUint32(24, version.build, true);
  for (let i = 0; i < bodyLength; i++) image[headerSize + i] = (i * 31 + 7) & 0xff;
  const tlv = headerSize + bodyLength;
  view.setUint16(tlv, 0x6907, true);
  view.setUint16(tlv + 2, tlvArea, true);
  view.setUint8(tlv + 4, 0x10);
  view.setUint16(tlv + 6, 32, true);
  image.set(sha256Sync(image.subarray(0, tlv)), tlv + 8);
  return image;
}

/** The SHA256 TLV value of an image built by buildTestImage. */
export function testImageHash(image: Uint8Array): Uint8Array {
  return image.slice(image.length - 32);
}
