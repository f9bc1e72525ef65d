/**
 * File commands, mcumgr style: `fs upload LOCAL REMOTE`, `fs download REMOTE LOCAL`, and
 * `fs status`, `fs hash`, `fs types`, `fs close` for the rest of Zephyr's fs_mgmt (group 8).
 * A download never replaces an existing local file unless asked (--force) and writes through a
 * temporary file renamed on success, so a failed download leaves nothing half-written.
 */
import { constants } from 'node:fs';
import { link, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import type { ContextFactory } from '../../cli/conn.ts';
import type { CliContext } from '../../cli/context.ts';
import { CliError } from '../../cli/errors.ts';
import { describeError } from '../../cli/failure.ts';
import { formatRate } from '../../cli/format.ts';
import { createProgressView } from '../../cli/progress.ts';
import type { FileTransferOptions, FileTransferResult } from '../../client/transfer/file-transfer.ts';
import { downloadFile, type FileDownloadOptions } from '../../client/transfer/fs-download.ts';
import { type FileUploadOptions, uploadFile } from '../../client/transfer/fs-upload.ts';
import { MgmtErr, SmpError } from '../../smp/errors.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { closeFile, type FileHash, fileHash, fileSize, formatHashOutput, hashTypes } from './client.ts';

interface TransferCommandOptions {
  window?: number;
}

function whole(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim())) throw new CliError(`The ${what} "${text}" is not a whole number of bytes.`);
  return Number(text);
}

function positive(text: string, what: string): number {
  const n = whole(text, what);
  if (n < 1) throw new CliError(`The ${what} must be at least 1; got ${n}.`);
  return n;
}

/** A device path: absolute, as Zephyr's fs_* calls take it. */
function remotePath(text: string): string {
  if (!text.startsWith('/')) {
    throw new CliError(
      `The device path "${text}" is not absolute; device paths start with the mount point, e.g. /lfs1/log.0000.`,
    );
  }
  return text;
}

/** CONFIG_MCUMGR_GRP_FS_PATH_LEN's default: the longest path Zephyr's fs_mgmt takes, in bytes. */
const DEFAULT_PATH_LEN = 64;

function smpErrorIn(err: unknown): SmpError | undefined {
  for (let link: unknown = err; link instanceof Error; link = link.cause) {
    if (link instanceof SmpError) return link;
  }
  return undefined;
}

/** What to do about an fs error whose words alone leave a person stuck. */
function fsAdvice(err: SmpError, path: string): string | undefined {
  if (err.group === SmpGroup.Fs && err.codeName === 'MOUNT_POINT_NOT_FOUND') {
    return (
      `No file system holds ${path}: its directory does not exist, or it is outside every mount point ` +
      '(smp_svr mounts LittleFS at /lfs1; a board whose storage cannot hold one has none).'
    );
  }
  if (err.group === SmpGroup.Fs && err.codeName === 'FILE_NOT_FOUND') {
    return "Check the path and its mount point (smp_svr's is /lfs1).";
  }
  const bytes = new TextEncoder().encode(path).length;
  if (err.group === undefined && err.rc === MgmtErr.EINVAL && bytes > DEFAULT_PATH_LEN) {
    return (
      `The path is ${bytes} bytes; Zephyr's fs_mgmt takes at most CONFIG_MCUMGR_GRP_FS_PATH_LEN bytes ` +
      `(${DEFAULT_PATH_LEN} unless the firmware sets more).`
    );
  }
  return undefined;
}

/** Runs a device command on `path`, adding advice to the errors that need it. */
async function onPath<T>(path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const smp = smpErrorIn(err);
    const advice = smp === undefined ? undefined : fsAdvice(smp, path);
    if (advice === undefined) throw err;
    throw new CliError(`${describeError(err).replace(/[.\s]*$/, '')}. ${advice}`, {
      fault: 'device',
      cause: err,
    });
  }
}

function nodeReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOSPC') return 'no space left on this disk';
  return (err as Error).message;
}

/** The transfer options the global -t/-r and the command's own give. */
function transferOptions(ctx: CliContext, opts: TransferCommandOptions): FileTransferOptions {
  const options: FileTransferOptions = {};
  if (ctx.globals.timeout !== undefined) options.timeoutMs = ctx.globals.timeout * 1000;
  if (ctx.globals.tries !== undefined) options.retries = Math.max(0, ctx.globals.tries - 1);
  if (opts.window !== undefined) options.window = opts.window;
  if (ctx.io.signal !== undefined) options.signal = ctx.io.signal;
  return options;
}

function summary(verb: 'Uploaded' | 'Downloaded', what: string, result: FileTransferResult): string {
  const seconds = result.elapsedMs / 1000;
  const rate = seconds > 0 ? result.sentBytes / seconds : 0;
  const resumed = result.resumedFrom > 0 ? ` (resumed at byte ${result.resumedFrom})` : '';
  return `${verb} ${what}: ${result.total} bytes${resumed} in ${seconds.toFixed(1)} s (${formatRate(rate)})\nDone\n`;
}

function transferJson(result: FileTransferResult): Record<string, number> {
  return {
    bytes: result.total,
    elapsedMs: Math.round(result.elapsedMs),
    sentBytes: result.sentBytes,
    resumedFrom: result.resumedFrom,
    requestLimit: result.requestLimit,
    chunkSize: result.chunkSize,
    window: result.window,
    requests: result.requests,
    timeouts: result.timeouts,
  };
}

export async function fsUploadCommand(
  ctx: CliContext,
  local: string,
  remoteText: string,
  opts: TransferCommandOptions & { resume?: boolean },
): Promise<void> {
  const remote = remotePath(remoteText);
  let data: Uint8Array;
  try {
    data = new Uint8Array(await readFile(local));
  } catch (err) {
    throw new CliError(`Cannot read ${local}: ${nodeReason(err)}.`);
  }
  const progress = createProgressView(ctx.io.stderr, !ctx.json, 'Uploading');
  const options: FileUploadOptions = {
    ...transferOptions(ctx, opts),
    onProgress: (p) => progress.update(p),
    onNotice: (text) => progress.note(`Note: ${text}\n`),
  };
  if (opts.resume) options.resume = true;
  try {
    const result = await onPath(remote, () =>
      ctx.withDevice((device) => uploadFile(device.transferLink(), remote, data, options)),
    );
    progress.stop();
    ctx.emit(
      { file: local, name: remote, ...transferJson(result) },
      summary('Uploaded', `${local} to ${remote}`, result),
    );
  } catch (err) {
    progress.stop();
    throw err;
  }
}

/** Where a download goes: LOCAL, or LOCAL/<remote's name> when LOCAL is a directory. */
async function downloadTarget(local: string, remote: string): Promise<{ path: string; exists: boolean }> {
  const found = await stat(local).catch(() => undefined);
  if (found?.isDirectory()) {
    const path = join(local, basename(remote));
    const inside = await stat(path).catch(() => undefined);
    if (inside?.isDirectory()) throw new CliError(`Cannot save ${remote} as ${path}: it is a directory.`);
    return { path, exists: inside !== undefined };
  }
  const parent = await stat(dirname(local)).catch(() => undefined);
  if (!parent?.isDirectory())
    throw new CliError(`Cannot save ${remote} as ${local}: ${dirname(local)} is not a directory.`);
  return { path: local, exists: found !== undefined };
}

/** Writes `data` next to `path`, then moves it there: replacing only with `force`. */
async function saveAtomically(path: string, data: Uint8Array, force: boolean): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.zdfu-${process.pid}-${Date.now()}.part`);
  try {
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (force) {
      await rename(temp, path);
    } else {
      // link() refuses an existing name: a file that appeared meanwhile is not replaced either.
      await link(temp, path);
      await unlink(temp);
    }
  } catch (err) {
    await rm(temp, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliError(`${path} already exists; pass --force to replace it.`);
    }
    throw new CliError(`Cannot write ${path}: ${nodeReason(err)}.`);
  }
}

export async function fsDownloadCommand(
  ctx: CliContext,
  remoteText: string,
  local: string,
  opts: TransferCommandOptions & { force?: boolean },
): Promise<void> {
  const remote = remotePath(remoteText);
  const target = await downloadTarget(local, remote);
  if (target.exists && !opts.force) {
    throw new CliError(`${target.path} already exists; pass --force to replace it.`);
  }
  const progress = createProgressView(ctx.io.stderr, !ctx.json, 'Downloading');
  const options: FileDownloadOptions = {
    ...transferOptions(ctx, opts),
    onProgress: (p) => progress.update(p),
    onNotice: (text) => progress.note(`Note: ${text}\n`),
  };
  let result: Awaited<ReturnType<typeof downloadFile>>;
  try {
    result = await onPath(remote, () =>
      ctx.withDevice((device) => downloadFile(device.transferLink(), remote, options)),
    );
  } finally {
    progress.stop();
  }
  await saveAtomically(target.path, result.data, opts.force === true);
  ctx.emit(
    { name: remote, file: target.path, ...transferJson(result) },
    summary('Downloaded', `${remote} to ${target.path}`, result),
  );
}

export async function fsStatusCommand(ctx: CliContext, remoteText: string): Promise<void> {
  const remote = remotePath(remoteText);
  const len = await onPath(remote, () =>
    ctx.withDevice((device) => fileSize(device.smp, remote, ctx.callOptions())),
  );
  ctx.emit({ name: remote, len }, `${remote}: ${len} bytes\n`);
}

interface HashCommandOptions {
  type?: string;
  offset?: number;
  length?: number;
}

function hashText(hash: FileHash): string {
  const range = hash.off > 0 ? `bytes ${hash.off}-${hash.off + hash.len - 1}` : `${hash.len} bytes`;
  return `${hash.type} of ${hash.name} (${range}): ${formatHashOutput(hash.output)}\n`;
}

export async function fsHashCommand(
  ctx: CliContext,
  remoteText: string,
  opts: HashCommandOptions,
): Promise<void> {
  const remote = remotePath(remoteText);
  const request: { type?: string; off?: number; len?: number } = {};
  if (opts.type !== undefined) request.type = opts.type;
  if (opts.offset !== undefined) request.off = opts.offset;
  if (opts.length !== undefined) request.len = opts.length;
  const hash = await onPath(remote, () =>
    ctx.withDevice((device) => fileHash(device.smp, remote, request, ctx.callOptions())),
  );
  ctx.emit(
    { name: remote, type: hash.type, off: hash.off, len: hash.len, output: formatHashOutput(hash.output) },
    hashText(hash),
  );
}

export async function fsTypesCommand(ctx: CliContext): Promise<void> {
  const types = await ctx.withDevice((device) => hashTypes(device.smp, ctx.callOptions()));
  const rows = Object.entries(types).map(
    ([name, info]) =>
      `  ${name.padEnd(8)} ${info.format === 1 ? 'hash (byte string)' : 'checksum (number)'}, ${info.size} bytes\n`,
  );
  ctx.emit({ types }, `Hash/checksum types:\n${rows.join('')}`);
}

export async function fsCloseCommand(ctx: CliContext): Promise<void> {
  await ctx.withDevice((device) => closeFile(device.smp, ctx.callOptions()));
  ctx.emit({ closed: true }, 'Done\n');
}

export function registerFsCommands(program: Command, context: ContextFactory): void {
  const fs = program.command('fs').description("Manage files on the device's file system");
  const windowOption = (command: Command) =>
    command.option(
      '-w, --window <n>',
      'most requests in flight (default: from the device buffers and the link)',
      (v) => positive(v, 'window'),
    );
  windowOption(
    fs
      .command('upload')
      .description('Upload a local file to the device')
      .argument('<local>', 'file on this computer')
      .argument('<remote>', 'path on the device, e.g. /lfs1/config.txt')
      .option('--resume', 'carry on an interrupted upload of this file from the bytes the device holds'),
  ).action(
    (local: string, remote: string, opts: TransferCommandOptions & { resume?: boolean }, command: Command) =>
      fsUploadCommand(context(command), local, remote, opts),
  );
  windowOption(
    fs
      .command('download')
      .description('Download a file from the device')
      .argument('<remote>', 'path on the device, e.g. /lfs1/log.0000')
      .argument('<local>', 'file (or directory) on this computer')
      .option('-f, --force', 'replace the local file if it exists'),
  ).action(
    (remote: string, local: string, opts: TransferCommandOptions & { force?: boolean }, command: Command) =>
      fsDownloadCommand(context(command), remote, local, opts),
  );
  fs.command('status')
    .description("Show a file's size")
    .argument('<remote>', 'path on the device')
    .action((remote: string, _opts: unknown, command: Command) => fsStatusCommand(context(command), remote));
  fs.command('hash')
    .description("Show the device's checksum or hash of a file (or of part of it)")
    .argument('<remote>', 'path on the device')
    .option('--type <type>', 'crc32 or sha256 (default: the device default, crc32); see `fs types`')
    .option('--offset <bytes>', 'start at this byte', (v) => whole(v, 'offset'))
    .option('--length <bytes>', 'cover this many bytes (default: to the end)', (v) => positive(v, 'length'))
    .action((remote: string, opts: HashCommandOptions, command: Command) =>
      fsHashCommand(context(command), remote, opts),
    );
  fs.command('types')
    .description('List the hash and checksum types the device supports')
    .action((_opts: unknown, command: Command) => fsTypesCommand(context(command)));
  fs.command('close')
    .description('Close the file an interrupted upload or download left open on the device')
    .action((_opts: unknown, command: Command) => fsCloseCommand(context(command)));
}
