/** Image commands: `image list|upload|test|confirm|erase`, mcumgr style. */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import type { ContextFactory } from '../../cli/conn.ts';
import type { CliContext } from '../../cli/context.ts';
import { CliError } from '../../cli/errors.ts';
import { formatImageList, formatUploadSummary, fromHex } from '../../cli/format.ts';
import { imageFromIntelHex } from '../../cli/image-file.ts';
import { createProgressView } from '../../cli/progress.ts';
import { explainAllImages, formatExplanations } from '../../client/explain.ts';
import {
  DEFAULT_CHUNK_TIMEOUT_MS,
  DEFAULT_UPLOAD_RETRIES,
  NotAnImageError,
  type UploadOptions,
} from '../../client/upload.ts';

/** IMAGE_TLV_SHA256 is what `image list` shows and what state write expects. */
const IMAGE_HASH_LENGTH = 32;

export interface UploadCommandOptions {
  image?: number;
  upgrade?: boolean;
  erase?: boolean;
  window?: number;
  force?: boolean;
}

export async function imageListCommand(ctx: CliContext): Promise<void> {
  const state = await ctx.withDevice((device) => device.imageList(ctx.callOptions()));
  ctx.emit(state, formatImageList(state));
}

export async function imageExplainCommand(ctx: CliContext): Promise<void> {
  const { state, mode } = await ctx.withDevice(async (device) => ({
    state: await device.imageList(ctx.callOptions()),
    mode: await device.bootloaderMode(ctx.callOptions()),
  }));
  const explanations = explainAllImages(state, mode);
  // JSON: one image's explanation as before; several images as { images: [...] }.
  const json = explanations.length === 1 ? explanations[0] : { images: explanations };
  ctx.emit(json, formatExplanations(explanations));
}

/** What an image hash looks like, for messages about a malformed one. */
const HASH_SHAPE =
  `an image hash is the ${IMAGE_HASH_LENGTH * 2} hex digits (0-9, a-f) that \`zdfu image list\` shows ` +
  'after "hash:", e.g. 9f2c4b1a…d07e';

export function parseImageHash(text: string): Uint8Array {
  let hash: Uint8Array;
  try {
    hash = fromHex(text, 'image hash');
  } catch (err) {
    throw new CliError(`${(err as Error).message.replace(/\.$/, '')}; ${HASH_SHAPE}.`);
  }
  if (hash.length !== IMAGE_HASH_LENGTH) {
    throw new CliError(
      `The image hash must be ${IMAGE_HASH_LENGTH} bytes (${IMAGE_HASH_LENGTH * 2} hex digits, as \`image list\` shows); got ${hash.length}.`,
    );
  }
  return hash;
}

export async function imageTestCommand(ctx: CliContext, hashText: string): Promise<void> {
  const hash = parseImageHash(hashText);
  const state = await ctx.withDevice((device) => device.imageTest(hash, ctx.callOptions()));
  ctx.emit(state, formatImageList(state));
}

export async function imageConfirmCommand(ctx: CliContext, hashText: string | undefined): Promise<void> {
  const hash = hashText === undefined ? undefined : parseImageHash(hashText);
  const state = await ctx.withDevice((device) => device.imageConfirm(hash, ctx.callOptions()));
  ctx.emit(state, formatImageList(state));
}

export async function imageEraseCommand(ctx: CliContext, slotText: string | undefined): Promise<void> {
  const slot = slotText === undefined ? undefined : parseCount(slotText, 'slot', 0);
  await ctx.withDevice((device) => device.imageErase(slot, ctx.callOptions()));
  ctx.emit({ erased: slot ?? 'default' }, 'Done\n');
}

/**
 * A file that is not an MCUboot image is most often an unsigned build (zephyr.bin): signing it is
 * the fix; --force is only for a payload that is not meant for MCUboot at all.
 */
export function notSignedMessage(path: string, detail: string, force = true): string {
  const sign =
    `${path} is not a signed MCUboot image (${detail}). Sign it first, e.g. ` +
    `\`zdfu sign -k KEY --header-size 0x200 --slot-size SLOT_SIZE --version 1.0.0 ${path} signed.bin\` ` +
    '(see "Signing images" in the README).';
  return force
    ? `${sign} Only for a payload that is not meant for MCUboot: --force uploads it as it is.`
    : sign;
}

/** The image in `path`: a .bin as it is, a .hex as the image it holds (see image-file.ts). */
export async function readImageFile(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (err as Error).message;
    throw new CliError(`Cannot read image file ${path}: ${why}.`);
  }
  if (extname(path).toLowerCase() !== '.hex') return bytes;
  return imageFromIntelHex(new TextDecoder().decode(bytes), path);
}

export async function imageUploadCommand(
  ctx: CliContext,
  path: string,
  options: UploadCommandOptions,
): Promise<void> {
  const data = await readImageFile(path);
  const progress = createProgressView(ctx.io.stderr, !ctx.json);
  const uploadOptions: UploadOptions = {
    image: options.image ?? 0,
    upgrade: options.upgrade === true,
    force: options.force === true,
    timeoutMs: ctx.globals.timeout !== undefined ? ctx.globals.timeout * 1000 : DEFAULT_CHUNK_TIMEOUT_MS,
    retries: ctx.globals.tries !== undefined ? ctx.globals.tries - 1 : DEFAULT_UPLOAD_RETRIES,
    onProgress: (p) => progress.update(p),
    // A notice (e.g. a fall back to smaller requests) goes to stderr, between progress redraws.
    onNotice: (text) => progress.note(`Note: ${text}\n`),
  };
  if (ctx.globals.timeout !== undefined) {
    uploadOptions.firstChunkTimeoutMs = Math.max(ctx.globals.timeout * 1000, 40_000);
  }
  if (options.window !== undefined) uploadOptions.window = options.window;
  if (ctx.io.signal !== undefined) uploadOptions.signal = ctx.io.signal;
  try {
    const result = await ctx.withDevice(async (device) => {
      if (options.erase) await device.imageErase(undefined, ctx.callOptions());
      return device.imageUpload(data, uploadOptions);
    });
    progress.stop();
    ctx.emit(
      {
        file: path,
        bytes: result.total,
        version: result.version,
        hash: result.imageHash,
        sha256: result.sha256,
        match: result.match,
        elapsedMs: Math.round(result.elapsedMs),
        sentBytes: result.sentBytes,
        resumedFrom: result.resumedFrom,
        requestLimit: result.requestLimit,
        chunkSize: result.chunkSize,
        window: result.window,
        requests: result.requests,
        timeouts: result.timeouts,
      },
      formatUploadSummary(result),
    );
  } catch (err) {
    progress.stop();
    if (err instanceof NotAnImageError) {
      throw new CliError(notSignedMessage(path, err.detail.message));
    }
    throw err;
  }
}

export function parseCount(text: string, what: string, min: number): number {
  if (!/^\d+$/.test(text.trim())) throw new CliError(`The ${what} "${text}" is not a whole number.`);
  const n = Number(text);
  if (n < min) throw new CliError(`The ${what} must be at least ${min}; got ${n}.`);
  return n;
}

export function registerImageCommands(program: Command, context: ContextFactory): void {
  const image = program.command('image').description('Manage images on a device');
  image
    .command('list')
    .description('Show the images in the slots')
    .action((_opts: unknown, command: Command) => imageListCommand(context(command)));
  image
    .command('explain')
    .description('Say in words what each slot holds and what the next reset will do')
    .action((_opts: unknown, command: Command) => imageExplainCommand(context(command)));
  image
    .command('upload')
    .description('Upload an MCUboot image to the secondary slot')
    .argument('<file>', 'signed MCUboot image (.bin, or .hex as `zdfu sign` writes it)')
    .option('-n, --image <num>', 'image number on multi-image devices', (v) =>
      parseCount(v, 'image number', 0),
    )
    .option('-u, --upgrade', 'only accept an image newer than the running one')
    .option('-e, --noerase', 'do not erase first (the default: the device erases during the first chunk)')
    .option('--erase', 'send `image erase` before uploading (discards a resumable upload)')
    .option(
      '-w, --window <n>',
      'most requests in flight (default: from the device buffers and the link)',
      (v) => parseCount(v, 'window', 1),
    )
    .option('--force', 'upload even if the file is not a valid MCUboot image')
    .action((file: string, opts: UploadCommandOptions & { noerase?: boolean }, command: Command) => {
      if (opts.erase && opts.noerase) throw new CliError('--erase and --noerase contradict each other.');
      return imageUploadCommand(context(command), file, opts);
    });
  image
    .command('test')
    .description('Boot the image with HASH once on the next reset (test swap)')
    .argument('<hash>', 'image hash in hex, as `image list` shows')
    .action((hash: string, _opts: unknown, command: Command) => imageTestCommand(context(command), hash));
  image
    .command('confirm')
    .description('Make the image with HASH, or the running image, permanent')
    .argument('[hash]', 'image hash in hex; default: the running image')
    .action((hash: string | undefined, _opts: unknown, command: Command) =>
      imageConfirmCommand(context(command), hash),
    );
  image
    .command('erase')
    .description('Erase an unused slot (default: the slot that is not running)')
    .argument('[slot]', 'absolute slot number')
    .action((slot: string | undefined, _opts: unknown, command: Command) =>
      imageEraseCommand(context(command), slot),
    );
}
