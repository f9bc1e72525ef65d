/**
 * Test scaffolding only: a minimal SMP responder for the fs transfer tests, while the virtual
 * device has no fs group yet. It follows Zephyr's `subsys/mgmt/mcumgr/grp/fs_mgmt/src/fs_mgmt.c`
 * fs_mgmt_file_upload / fs_mgmt_file_download state machine (one upload-or-download state, owned
 * by one transport and one path; the offset checks; the error with `len` on an offset mismatch; a
 * first chunk sent again within an upload counted twice), plus os mcumgr params. Requests are
 * handled one at a time in arrival order, as Zephyr's SMP work queue does. Files live in a Map.
 */
import { type CborMap, decodePacket, encodePacket } from '../../../src/smp/codec.ts';
import { responseOpFor, type SmpHeader } from '../../../src/smp/header.ts';

const FS = 8;
const EINVAL = 3;
const FILE_NOT_FOUND = 3;
const FILE_OFFSET_NOT_VALID = 11;

interface TransferState {
  kind: 'upload' | 'download';
  path: string;
  off: number;
  len: number;
  transport: unknown;
}

export interface FsResponderOptions {
  /** os mcumgr params; undefined → ENOTSUP. */
  params?: { buf_size: number; buf_count: number };
  /** Data bytes per download answer (MCUMGR_GRP_FS_DL_CHUNK_SIZE). */
  downloadChunk?: number;
}

export class FsResponder {
  readonly files = new Map<string, Uint8Array>();
  /** Every fs request seen: op, off, data length (upload). */
  readonly seen: Array<{ op: 'read' | 'write'; off: number; length: number; hasLen: boolean; size: number }> =
    [];
  /** Called before each fs request is handled (a test changes a file mid-transfer there). */
  beforeRequest: ((n: number) => void) | undefined;
  private state: TransferState | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: FsResponderOptions = {}) {}

  /** A server for one link (one "transport" in fs_mgmt's sense). */
  serveFor(transport: unknown = {}): (packet: Uint8Array) => Promise<Uint8Array[]> {
    return (packet) => {
      const run = this.queue.then(() => [this.handle(packet, transport)]);
      this.queue = run.catch(() => undefined);
      return run;
    };
  }

  private handle(packet: Uint8Array, transport: unknown): Uint8Array {
    const { header, body } = decodePacket(packet);
    const map = (body ?? {}) as CborMap;
    let response: CborMap;
    if (header.group === 0 && header.command === 6) {
      response = this.options.params ?? { rc: 8 };
    } else if (header.group === FS && header.command === 0) {
      const op = header.op === 0 ? 'read' : 'write';
      this.seen.push({
        op,
        off: typeof map.off === 'number' ? map.off : -1,
        length: map.data instanceof Uint8Array ? map.data.length : 0,
        hasLen: map.len !== undefined,
        size: packet.length,
      });
      this.beforeRequest?.(this.seen.length);
      response = op === 'read' ? this.download(map, transport) : this.upload(map, transport);
    } else {
      response = { rc: 8 };
    }
    return reply(header, response);
  }

  private cleanup(): void {
    this.state = undefined;
  }

  private finishCheck(): void {
    const state = this.state;
    if (state !== undefined && state.len > 0 && state.off >= state.len) this.cleanup();
  }

  private download(body: CborMap, transport: unknown): CborMap {
    const { off, name } = body;
    if (typeof off !== 'number' || typeof name !== 'string' || name.length === 0) return { rc: EINVAL };
    const held = this.state;
    if (
      held === undefined ||
      held.transport !== transport ||
      held.kind !== 'download' ||
      held.path !== name
    ) {
      this.cleanup();
    }
    if (this.state === undefined) {
      const file = this.files.get(name);
      if (file === undefined) return { err: { group: FS, rc: FILE_NOT_FOUND } };
      this.state = { kind: 'download', path: name, off: 0, len: file.length, transport };
    }
    const state = this.state;
    const file = this.files.get(name) ?? new Uint8Array(0);
    state.off = off;
    const data = file.slice(
      Math.min(off, file.length),
      Math.min(off + (this.options.downloadChunk ?? 256), file.length),
    );
    state.off += data.length;
    const response: CborMap = { off, data };
    if (off === 0) response.len = state.len;
    this.finishCheck();
    return response;
  }

  private upload(body: CborMap, transport: unknown): CborMap {
    const { off, name, len } = body;
    const data = body.data instanceof Uint8Array ? body.data : new Uint8Array(0);
    if (typeof off !== 'number' || typeof name !== 'string' || name.length === 0) return { rc: EINVAL };
    if (off === 0 && typeof len !== 'number') return { rc: EINVAL };
    const held = this.state;
    if (held === undefined || held.transport !== transport || held.kind !== 'upload' || held.path !== name) {
      this.cleanup();
    }
    if (this.state === undefined) {
      if (!this.files.has(name)) this.files.set(name, new Uint8Array(0));
      this.state = { kind: 'upload', path: name, off: 0, len: 0, transport };
    }
    const state = this.state;
    let existing = 0;
    if (off === 0) {
      state.len = len as number;
      existing = this.files.get(name)?.length ?? 0;
    } else if (state.off === 0) {
      state.off = this.files.get(name)?.length ?? 0;
    }
    if (off > 0 && off !== state.off) {
      const expected = state.off;
      this.cleanup();
      return { err: { group: FS, rc: FILE_OFFSET_NOT_VALID }, len: expected };
    }
    if (data.length > 0) {
      let file = this.files.get(name) ?? new Uint8Array(0);
      if (off === 0 && existing !== 0) file = new Uint8Array(0);
      // Written at the end of the file (fs_mgmt seeks there when the position differs).
      const grown = new Uint8Array(file.length + data.length);
      grown.set(file);
      grown.set(data, file.length);
      this.files.set(name, grown);
      state.off += data.length;
    }
    const response: CborMap = { off: state.off };
    this.finishCheck();
    return response;
  }
}

function reply(header: SmpHeader, body: CborMap): Uint8Array {
  return encodePacket(
    {
      version: header.version,
      op: responseOpFor(header.op),
      flags: 0,
      group: header.group,
      sequence: header.sequence,
      command: header.command,
    },
    body,
  );
}
