// What a power-cut sweep interrupts: the app scheduling or confirming an update (trailer writes,
// bootutil_public.c), MCUboot's swap or copy (a boot through bootGo), and an upload through the
// SMP server (zephyr_img_mgmt.c erases and writes the secondary slot). Each scenario brings a fresh
// flash to its start state without cuts, then `run` does the operations the sweep cuts.

import { imageUpload } from '../../groups/image/models.ts';
import { registerImageGroup } from '../../groups/image/server.ts';
import { ImageSlots } from '../../groups/image/slots.ts';
import { digest } from '../../image/digest.ts';
import { encodePacket } from '../../smp/codec.ts';
import { encodeRequest } from '../../smp/command.ts';
import { type Board, slotPartition } from '../boards/board.ts';
import { bootGo } from '../mcuboot/boot.ts';
import { bootLayoutFromBoard } from '../mcuboot/layout.ts';
import { imageStartOffset, setConfirmed, setPending } from '../mcuboot/public.ts';
import { writeImageOk, writeMagic } from '../mcuboot/trailer-io.ts';
import { smpServerBuild } from '../server/build-config.ts';
import { SmpServer } from '../server/smp-server.ts';
import type { SweepFlashes } from './flashes.ts';
import type { SweepImages, SweepValidator } from './images.ts';

export type ScenarioName = 'test' | 'revert' | 'confirm' | 'permanent' | 'upload' | 'image-1' | 'both';

export interface ScenarioContext {
  /** Every flash device of the board (one supply, cuts counted over all). */
  flash: SweepFlashes;
  board: Board;
  /** Image 0's images. */
  images: SweepImages;
  /** Every MCUboot image's images, image 0 first. */
  perImage: readonly SweepImages[];
  validate: SweepValidator;
}

export type Which = 'old' | 'new';

export interface Scenario {
  name: ScenarioName | (string & {});
  /** One line for the report. */
  summary: string;
  appliesTo(board: Board): boolean;
  setup(ctx: ScenarioContext): Promise<void>;
  run(ctx: ScenarioContext): Promise<void>;
  /**
   * Which image each primary slot holds after an uninterrupted run (a check of the sweep itself;
   * one value for image 0, or one per image). Not checked for direct-XIP / RAM-load, which run
   * from either slot: there the settled boot is checked instead.
   */
  expect: Which | readonly Which[];
  /** Where every cut must end (a revert must end on the old image however it is cut). */
  mustEnd?: Which;
  /** After an uninterrupted run: what is wrong with the end state, if anything. */
  check?(ctx: ScenarioContext): string | undefined;
}

/** Upload chunk size: what fits a 512-byte SMP buffer with room for the request's other fields. */
const UPLOAD_CHUNK = 384;

/** Direct-XIP and RAM-load: nothing is moved; an image runs from whichever slot is chosen. */
export const isXip = (board: Board) =>
  board.mcuboot.mode === 'direct-xip' ||
  board.mcuboot.mode === 'direct-xip-revert' ||
  board.mcuboot.mode === 'ram-load';

/** Builds that can take an upgrade back: the swaps, and direct-XIP with revert. */
const canRevert = (board: Board) =>
  board.mcuboot.mode === 'swap-scratch' ||
  board.mcuboot.mode === 'swap-move' ||
  board.mcuboot.mode === 'swap-offset' ||
  board.mcuboot.mode === 'direct-xip-revert';

const oneImage = (board: Board) => board.mcuboot.imageNumber === 1;
const severalImages = (board: Board) => board.mcuboot.imageNumber > 1;

export function areas(ctx: ScenarioContext, image = 0) {
  const img = bootLayoutFromBoard(ctx.board, ctx.flash.devices).images[image];
  if (!img) throw new RangeError(`${ctx.board.name} has no image ${image}`);
  return img;
}

/**
 * Old images running in every primary slot (flashed without a trailer: confirmed); the new image
 * of each image in `update` placed in its secondary slot where Zephyr's img_mgmt puts it (one
 * sector in for swap-offset, boot_get_image_start_offset): uploaded through the SMP server.
 */
async function base(ctx: ScenarioContext, update: readonly number[] = [0]): Promise<void> {
  flashOldImages(ctx);
  for (const i of update) {
    await upload(ctx, i);
  }
  if (ctx.flash.isPoweredOff) throw new Error('the flash lost power while the sweep set up its start state');
}

/**
 * The factory images, one per primary slot. Direct-XIP with revert erases a slot without a good
 * trailer (loader.c, boot_select_or_erase), so there they are flashed confirmed, as
 * `imgtool sign --confirm` makes them (magic and image_ok); elsewhere without a trailer.
 */
function flashOldImages(ctx: ScenarioContext): void {
  ctx.perImage.forEach((imgs, i) => {
    ctx.flash.load(slotPartition(ctx.board, 0, i), imgs.old);
    if (ctx.board.mcuboot.mode === 'direct-xip-revert') {
      const primary = areas(ctx, i).primary;
      writeMagic(primary, ctx.board.mcuboot.maxAlign);
      writeImageOk(primary, ctx.board.mcuboot.maxAlign);
    }
  });
}

async function boot(ctx: ScenarioContext): Promise<void> {
  await bootGo({ flash: ctx.flash.devices, board: ctx.board, validate: ctx.validate });
}

async function testSwapDone(ctx: ScenarioContext): Promise<void> {
  await base(ctx);
  setPending(areas(ctx).secondary, false, ctx.board.mcuboot.maxAlign);
  await boot(ctx);
}

/** The area the new image runs from after its test boot: the primary, or for direct-XIP its own slot. */
function runningNewArea(ctx: ScenarioContext) {
  return isXip(ctx.board) ? areas(ctx).secondary : areas(ctx).primary;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'test',
    summary: '`image test` (boot_set_pending) then the reset that swaps',
    appliesTo: oneImage,
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
    appliesTo: (board) => oneImage(board) && canRevert(board),
    expect: 'old',
    mustEnd: 'old',
    setup: testSwapDone,
    run: boot,
  },
  {
    name: 'confirm',
    summary: '`image confirm` of the new image (boot_set_confirmed) then a reset',
    appliesTo: oneImage,
    expect: 'new',
    setup: testSwapDone,
    run: async (ctx) => {
      setConfirmed(runningNewArea(ctx), ctx.board.mcuboot.maxAlign);
      await boot(ctx);
    },
  },
  {
    name: 'permanent',
    summary: '`image confirm <hash>` of the uploaded image (permanent pending) then the reset',
    appliesTo: oneImage,
    expect: 'new',
    setup: base,
    run: async (ctx) => {
      setPending(areas(ctx).secondary, true, ctx.board.mcuboot.maxAlign);
      await boot(ctx);
    },
  },
  {
    name: 'image-1',
    summary: 'image 1 alone updated (permanent pending) then the reset; image 0 stays',
    appliesTo: severalImages,
    expect: ['old', 'new'],
    setup: (ctx) => base(ctx, [1]),
    run: async (ctx) => {
      setPending(areas(ctx, 1).secondary, true, ctx.board.mcuboot.maxAlign);
      await boot(ctx);
    },
  },
  {
    name: 'both',
    summary: 'images 0 and 1 updated together (image 0 depends on image 1 ≥ 2.0.0) then the reset',
    appliesTo: severalImages,
    expect: ['new', 'new'],
    setup: (ctx) => base(ctx, [0, 1]),
    run: async (ctx) => {
      setPending(areas(ctx, 0).secondary, true, ctx.board.mcuboot.maxAlign);
      setPending(areas(ctx, 1).secondary, true, ctx.board.mcuboot.maxAlign);
      await boot(ctx);
    },
  },
  {
    name: 'upload',
    summary: 'upload of the new image over an older one, through the SMP server',
    appliesTo: () => true,
    setup: async (ctx) => {
      flashOldImages(ctx);
      ctx.flash.load(slotPartition(ctx.board, 1), ctx.images.stale);
    },
    run: (ctx) => upload(ctx, 0),
    expect: 'old',
    check: (ctx) => {
      const secondary = areas(ctx).secondary;
      const at = imageStartOffset(secondary, ctx.board.mcuboot.mode, true);
      const got = secondary.peek(at, ctx.images.new.length);
      return Buffer.compare(got, ctx.images.new) === 0
        ? undefined
        : 'the upload did not land in the secondary slot';
    },
  },
];

/**
 * Why a scenario that does not apply to a board as built is not run, for the report; undefined
 * where that needs no row (one-image scenarios on a board with several images, and back).
 */
export function notRunReason(board: Board, scenario: Scenario): string | undefined {
  if (scenario.name === 'revert' && !canRevert(board))
    return `not run: ${board.mcuboot.mode} cannot take an upgrade back`;
  return undefined;
}

/**
 * Sends the new image chunk by chunk as a client would; stops when the flash loses power (the
 * server answers the failed write with an error, as Zephyr's does for a failed flash write).
 */
async function upload(ctx: ScenarioContext, imageIndex: number): Promise<void> {
  const server = new SmpServer({ netbufSize: smpServerBuild(ctx.board).netbufSize, verboseErrors: false });
  const a = areas(ctx, imageIndex);
  registerImageGroup(server, {
    slots: new ImageSlots(ctx.board, [a.primary, a.secondary]),
    runningVersion: () => ({ major: 1, minor: 0, revision: 0, build: 0 }),
  });
  const image = ctx.perImage[imageIndex]!.new;
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
