/**
 * The user's own upload, explained: a 48.43 KiB image (49,592 bytes, the size in the user's log)
 * to a virtual stm32f4_disco built as their smp_svr is (serial only: 384-byte SMP buffers, 4 of
 * them), over its PTY paced at 115200 baud, with the board's flash timing (`zdfu sim` without
 * --fast), once with `mtu=256` in the connstring (what mcumgr users pass) and once with zdfu's own
 * sizing (the device's buffer less the 4 bytes of serial length and CRC). Beside each measured
 * time, what the physics gives: every request's console frames on the wire at 10 bits a byte
 * (base64 lines with their 2-byte start and newline, src/transport/serial-framing.ts), the erase
 * of the slot sectors the first chunk needs (1 s per 128 KiB sector, ST DS8626), and the
 * programming (4 µs a byte). Responses travel the other way of the full-duplex line meanwhile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maxChunkData, requestSize } from '../src/client/upload-sizing.ts';
import { getBoard } from '../src/device/boards/index.ts';
import { startSim } from '../src/device/io/sim-host.ts';
import { encodeSerialFrame } from '../src/transport/serial-framing.ts';
import { runZdfuJson, SIGNED_OVERHEAD, writeDevSignedImage } from './support.ts';
import type { BenchOutput } from './table.ts';

const TITLE = "The user's upload: 48.43 KiB at 115200 baud to stm32f4_disco, explained";
const BAUD = 115200;
const IMAGE_BYTES = 49_592;
const SHA_LENGTH = 32;

interface UploadJson {
  elapsedMs: number;
  requests: number;
  requestLimit: number;
  window: number;
}

export async function runUserImageBench(): Promise<BenchOutput[]> {
  const work = mkdtempSync(join(tmpdir(), 'zdfu-bench-user-'));
  try {
    const image = await writeImage(work);
    const board = getBoard('stm32f4_disco');
    const rows: string[][] = [];
    for (const mtu of [256, undefined]) {
      // A fresh board each time: the first chunk erases what the slot needs, as on the desk.
      const sim = await startSim({ board, udp: false, baud: BAUD, flashTimeScale: 1 });
      try {
        const erase = { us: 0 };
        const program = { us: 0 };
        for (const flash of sim.device.flashes.values()) {
          flash.onOperation((op) => {
            if (op.kind === 'erase') erase.us += op.durationUs;
            else if (op.kind === 'write') program.us += op.durationUs;
          });
        }
        const conn = `dev=${sim.ptyPath},baud=${BAUD}${mtu === undefined ? '' : `,mtu=${mtu}`}`;
        const result = await upload(work, conn, image);
        const lineS = wireSeconds(IMAGE_BYTES, result.requestLimit);
        const eraseS = erase.us / 1e6;
        const programS = program.us / 1e6;
        rows.push([
          mtu === undefined ? 'zdfu sizing' : `mtu=${mtu}`,
          `${result.requestLimit} B / ${result.window}`,
          String(result.requests),
          (result.elapsedMs / 1000).toFixed(2),
          lineS.toFixed(2),
          eraseS.toFixed(2),
          programS.toFixed(2),
          (lineS + eraseS).toFixed(2),
          `${((100 * (lineS + eraseS)) / (result.elapsedMs / 1000)).toFixed(0)} %`,
        ]);
      } finally {
        await sim.close();
      }
    }
    return [
      {
        kind: 'grid',
        title: TITLE,
        method:
          `One \`zdfu image upload\` process per row to a fresh virtual stm32f4_disco (serial-only smp_svr build: ` +
          `MCUmgr params 384/4) on its PTY at ${BAUD} baud, with the board's flash timing. "Line" is the time ` +
          `the requests' console frames take on the wire (10 bits a byte, base64 with its line framing), computed ` +
          `from the engine's chunk plan; "erase" and "program" are the flash model's own times for this upload ` +
          `(programming overlaps the next requests on the wire when pipelined). Explained = line + erase.`,
        headers: [
          'sizing',
          'request / window',
          'requests',
          'measured s',
          'line s',
          'erase s',
          'program s',
          'explained s',
          'explained / measured',
        ],
        rows,
      },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Seconds on a 115200-baud line for every request frame of an upload with this request limit. */
function wireSeconds(total: number, limit: number): number {
  let bytes = 0;
  for (let off = 0; off < total; ) {
    const fields =
      off === 0 ? { off, first: { len: total, shaLength: SHA_LENGTH, image: 0, upgrade: false } } : { off };
    const length = Math.min(maxChunkData(fields, limit), total - off);
    bytes += encodeSerialFrame(new Uint8Array(requestSize(fields, length))).length;
    off += length;
  }
  return (bytes * 10) / BAUD;
}

async function writeImage(dir: string): Promise<string> {
  const body = new Uint8Array(IMAGE_BYTES - SIGNED_OVERHEAD).map((_, i) => (i * 31 + 7) & 0xff);
  const { path, bytes } = await writeDevSignedImage(dir, 'user', body, {
    slotSize: 0x40000,
    version: '2.0.0',
  });
  if (bytes !== IMAGE_BYTES) throw new Error(`the bench image is ${bytes} bytes, not ${IMAGE_BYTES}`);
  return path;
}

function upload(home: string, connstring: string, image: string): Promise<UploadJson> {
  return runZdfuJson<UploadJson>(
    ['--conntype', 'serial', '--connstring', connstring, '--json', 'image', 'upload', image],
    home,
    120_000,
  );
}
