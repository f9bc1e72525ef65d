/** `zdfu dfu FILE`: the whole update in one command (upload, test or confirm, reset, check, confirm). */
import type { Command } from 'commander';
import { type DfuMode, type DfuStep, runDfu } from '../client/dfu.ts';
import { DEFAULT_CHUNK_TIMEOUT_MS, DEFAULT_UPLOAD_RETRIES, NotAnImageError } from '../client/upload.ts';
import type { ContextFactory } from './conn.ts';
import type { CliContext } from './context.ts';
import { CliError } from './errors.ts';
import { formatImageList, formatUploadSummary, toHex } from './format.ts';
import { readImageFile } from './image.ts';
import { createProgressView } from './progress.ts';

interface DfuCommandOptions {
  testOnly?: boolean;
  permanent?: boolean;
  rebootTimeout: string;
}

function describeStep(step: DfuStep): string {
  switch (step.kind) {
    case 'already-running':
      return `Image ${step.version} is already running.\n`;
    case 'already-uploaded':
      return `Image ${step.version} is already in the secondary slot; not uploading it again.\n`;
    case 'uploaded':
      return formatUploadSummary(step.result).replace(/Done\n$/, '');
    case 'marked':
      return step.permanent ? 'Marked for a permanent update.\n' : 'Marked for a test boot.\n';
    case 'reset':
      return 'Reset; waiting for the device to boot the new image…\n';
    case 'back':
      return `The device is back after ${(step.afterMs / 1000).toFixed(1)} s.\n`;
    case 'confirmed':
      return 'Confirmed the running image.\n';
  }
}

export async function dfuCommand(ctx: CliContext, path: string, opts: DfuCommandOptions): Promise<void> {
  if (opts.testOnly && opts.permanent)
    throw new CliError('--test-only and --permanent contradict each other.');
  const rebootSeconds = Number(opts.rebootTimeout);
  if (!Number.isFinite(rebootSeconds) || rebootSeconds <= 0) {
    throw new CliError(`The reboot timeout "${opts.rebootTimeout}" is not a positive number of seconds.`);
  }
  const mode: DfuMode = opts.testOnly ? 'test-only' : opts.permanent ? 'permanent' : 'test-and-confirm';
  const data = await readImageFile(path);
  const progress = createProgressView(ctx.io.stderr, !ctx.json);
  const steps: DfuStep[] = [];
  try {
    const result = await ctx.withDevice((device) =>
      runDfu(device, data, {
        mode,
        call: ctx.callOptions(),
        rebootTimeoutMs: rebootSeconds * 1000,
        upload: {
          timeoutMs:
            ctx.globals.timeout !== undefined ? ctx.globals.timeout * 1000 : DEFAULT_CHUNK_TIMEOUT_MS,
          retries: ctx.globals.tries !== undefined ? ctx.globals.tries - 1 : DEFAULT_UPLOAD_RETRIES,
          onProgress: (p) => progress.update(p),
          ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
        },
        onStep: (step) => {
          if (step.kind === 'uploaded') progress.stop();
          steps.push(step);
          if (!ctx.json) ctx.io.stdout.write(describeStep(step));
        },
      }),
    );
    ctx.emit(
      {
        version: result.version,
        hash: toHex(result.hash),
        mode,
        steps: steps.map((s) => s.kind),
        images: result.state.images,
      },
      formatImageList(result.state),
    );
  } catch (err) {
    progress.stop();
    if (err instanceof NotAnImageError) {
      throw new CliError(`${path} is not a valid MCUboot image (${err.detail.message}).`);
    }
    throw err;
  }
}

export function registerDfuCommand(program: Command, context: ContextFactory): void {
  program
    .command('dfu')
    .description('Update in one go: upload, test, reset, check the new image runs, confirm it')
    .argument('<file>', 'signed MCUboot image (.bin)')
    .option(
      '--test-only',
      'stop after the test boot: leave the new image unconfirmed (it reverts on the next reset)',
    )
    .option('--permanent', 'mark the image permanent before the reset instead of testing it')
    .option('--reboot-timeout <seconds>', 'how long to wait for the device after the reset', '60')
    .action((file: string, opts: DfuCommandOptions, command: Command) =>
      dfuCommand(context(command), file, opts),
    );
}
