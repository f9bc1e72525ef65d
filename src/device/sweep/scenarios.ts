// What a power-cut sweep interrupts: the app scheduling or confirming an update (trailer writes,
// bootutil_public.c), MCUboot's swap or copy (a boot through bootGo), and an upload through the
// SMP server (zephyr_img_mgmt.c erases and writes the secondary slot). Each scenario brings a fresh
// flash to its start state without cuts, then `run` does the operations the sweep cuts.
import { digest } from '../../image/digest.ts';
import { encodePacket } from '../../smp/codec.ts';
import { encodeRequest } from '../../smp/command.ts';
import { imageUpload } from '../../smp/groups/image.ts';
import { type Board, slotPartition } from '../boards/board.ts';
import type { Flash } from '../flash.ts';
import { bootAreas, bootGo } from '../mcuboot/boot.ts';
import { setConfirmed, setPending } from '../mcuboot/public.ts';
import { smpServerBuild } from '../server/build-config.ts';
import { registerImageGroup } from '../server/img-mgmt.ts';
import { ImageSlots } from '../server/slots.ts';
import { SmpServer } from '../server/smp-server.ts';
import type { SweepImages, SweepValidator } from './images.ts';

export type ScenarioName = 'test' | 'revert' | 'confirm' | 'permanent' | 'upload';

export interface ScenarioContext {
  flash: Flash;
  board: Board;
  images: SweepImages;
  validate: SweepValidator;
}

export interface Scenario {
  name: ScenarioName | (string & {});
  /** One line for the report. */
  summary: string;
  appliesTo(board: Board): boolean;
  setup(ctx: ScenarioContext): Promise<void>;
  run(ctx: ScenarioContext): Promise<void>;
  /** Which image the primary slot holds after an uninterrupted run (a check of the sweep itself). */
  expect: 'old' | 'new';
  /** After an uninterrupted run: what is wrong with the end state, if anything. */
  check?(ctx: ScenarioContext): string | undefined;
}

/** Upload chunk size: what fits a 512-byte SMP buffer with room for the request's other fields. */
const UPLOAD_CHUNK = 384;

const isSwap = (board: Board) => board.mcuboot.mode !== 'overwrite-only';

function areas(ctx: ScenarioContext) {
  return bootAreas(ctx.flash, ctx.board);
}

/**
 * Old image running in the primary slot (flashed without a trailer: confirmed), new one uploaded
 * through the SMP server, so it lands where Zephyr's img_mgmt puts it for the board's strategy.
 */
async function base(ctx: ScenarioContext): Promise<void> {
  ctx.flash.load(ctx.images.old, slotPartition(ctx.board, 0).offset);
  await upload(ctx);
  if (ctx.flash.isPoweredOff) throw new Error('the flash lost power while the sweep set up its start state');
}

async function boot(ctx: ScenarioContext): Promise<void> {
  await bootGo({ flash: ctx.flash, board: ctx.board, validate: ctx.validate });
}

async function testSwapDone(ctx: ScenarioContext): Promise<void> {
  await base(ctx);
  setPending(areas(ctx).secondary, false, ctx.board.mcuboot.maxAlign);
  await boot(ctx);
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'test',
    summary: '`image test` (boot_set_pending) then the reset that swaps',
    appliesTo: () => true,
    expect: 'new',
    setup: base,
    run: async (ctx) => {
      setPending(areas(ctx).secondary, false, ctx.board.mcuboot.maxAlign);
      await boot(ctx);
    },
  },
  {
    name: 'revert',
    summary: 'reset after a test swap, new image not confirmed: MCUboot swaps back',
    appliesTo: isSwap,
    expect: 'old',
    setup: testSwapDone,
    run: boot,
  },
  {
    name: 'confirm',
    summary: '`image confirm` of the new image (boot_set_confirmed) then a reset',
    appliesTo: () => true,
    expect: 'new',
    setup: testSwapDone,
    run: async (ctx) => {
      setConfirmed(areas(ctx).primary, ctx.board.mcuboot.maxAlign);
      await boot(ctx);
    },
  },
  {
    name: 'permanent',
    summary: '`image confirm <hash>` of the uploaded image (permanent pending) then the reset',
    appliesTo: () => true,
    expect: 'new',
    setup: base,
    run: async (ctx) => {
      setPending(areas(ctx).secondary, true, ctx.board.mcuboot.maxAlign);
      await boot(ctx);
    },
  },
  {
    name: 'upload',
    summary: 'upload of the new image over an older one, through the SMP server',
    appliesTo: () => true,
    setup: async (ctx) => {
      const slot0 = slotPartition(ctx.board, 0);
      const slot1 = slotPartition(ctx.board, 1);
      ctx.flash.load(ctx.images.old, slot0.offset);
      ctx.flash.load(ctx.images.stale, slot1.offset);
    },
    run: upload,
    expect: 'old',
    check: (ctx) => {
      const got = areas(ctx).secondary.peek(0, ctx.images.new.length);
      return Buffer.compare(got, ctx.images.new) === 0
        ? undefined
        : 'the upload did not land in the secondary slot';
    },
  },
];

/**
 * Sends the new image chunk by chunk as a client would; stops when the flash loses power (the
 * server answers the failed write with an error, as Zephyr's does for a failed flash write).
 */
async function upload(ctx: ScenarioContext): Promise<void> {
  const server = new SmpServer({ netbufSize: smpServerBuild(ctx.board).netbufSize, verboseErrors: false });
  const a = areas(ctx);
  registerImageGroup(server, {
    slots: new ImageSlots(ctx.board, [a.primary, a.secondary]),
    runningVersion: () => ({ major: 1, minor: 0, revision: 0, build: 0 }),
  });
  const image = ctx.images.new;
  const sha = await digest('sha256', image);
  let sequence = 0;
  for (let off = 0; off < image.length; off += UPLOAD_CHUNK) {
    const data = image.subarray(off, off + UPLOAD_CHUNK);
    const body = off === 0 ? { off, data, len: image.length, sha } : { off, data };
    const packet = encodePacket(
      {
        version: 1,
        op: 2,
        flags: 0,
        group: imageUpload.group,
        sequence: sequence++ & 0xff,
        command: imageUpload.id,
      },
      encodeRequest(imageUpload, body),
    );
    await server.handlePacket(packet);
    if (ctx.flash.isPoweredOff) return;
  }
}
