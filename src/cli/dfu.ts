/** `zdfu dfu FILE`: the whole update in one command (upload, test or confirm, reset, check, confirm). */
import type { Command } from 'commander';
import { type DfuMode, type DfuStep, runDfu } from '../client/dfu.ts';
import { type HealthCheck, parseStatCheck, shellCheck } from '../client/dfu-health.ts';
import { DEFAULT_CHUNK_TIMEOUT_MS, DEFAULT_UPLOAD_RETRIES, NotAnImageError } from '../client/upload.ts';
import { notSignedMessage, parseCount, readImageFile } from '../groups/image/cli.ts';
import type { ContextFactory } from './conn.ts';
import type { CliContext } from './context.ts';
import { CliError } from './errors.ts';
import { formatImageList, formatUploadSummary, toHex } from './format.ts';
import { createProgressView } from './progress.ts';

interface DfuCommandOptions {
  testOnly?: boolean;
  permanent?: boolean;
  rebootTimeout: string;
  settle: string;
  checkStat?: string[];
  checkShell?: string[];
  /** False with --no-revert. */
  revert: boolean;
  /** -n: the image number on a multi-image device. */
  image?: number;
}

function describeStep(step: DfuStep): string {
  switch (step.kind) {
    case 'already-running':
      return `Image ${step.version} is already running.\n`;
    case 'already-uploaded':
      return `The device checked that its secondary slot holds exactly this file (${step.version}); nothing to send.\n`;
    case 'uploaded':
      return formatUploadSummary(step.result).replace(/Done\n$/, '');
    case 'marked':
      return step.permanent ? 'Marked for a permanent update.\n' : 'Marked for a test boot.\n';
    case 'reset':
      return 'Reset; waiting for the device to boot the new image…\n';
    case 'back':
      return `The device is back after ${(step.afterMs / 1000).toFixed(1)} s.\n`;
    case 'watching':
      return `Watching the new image for ${seconds(step.settleMs)}${step.checks.length > 0 ? `, then checking that ${step.checks.join(' and ')}` : ''}…\n`;
    case 'healthy':
      return `It kept running for ${seconds(step.settledMs)}.${step.passed.map((p) => ` Check passed: ${p}.`).join('')}\n`;
    case 'unhealthy':
      return `The new image is not healthy: ${step.reason}. Not confirming it.\n`;
    case 'reverting':
      return 'Resetting so MCUboot goes back to the previous image…\n';
    case 'reverted':
      return `The device runs ${step.version} again.\n`;
    case 'retry':
      return `${step.reason}; erasing the slot and uploading the file again.\n`;
    case 'confirmed':
      return 'Confirmed the running image.\n';
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function parseChecks(opts: DfuCommandOptions): HealthCheck[] {
  const checks: HealthCheck[] = [];
  for (const text of opts.checkStat ?? []) {
    const check = parseStatCheck(text);
    if (!check) {
      throw new CliError(
        `--check-stat "${text}" is not GROUP.FIELD (e.g. smp_server_stats.counter_stat; see \`zdfu stat list\`).`,
      );
    }
    checks.push(check);
  }
  for (const text of opts.checkShell ?? []) {
    const check = shellCheck(text);
    if (!check) throw new CliError('--check-shell needs a command line, e.g. --check-shell "app status".');
    checks.push(check);
  }
  return checks;
}

export async function dfuCommand(ctx: CliContext, path: string, opts: DfuCommandOptions): Promise<void> {
  if (opts.testOnly && opts.permanent)
    throw new CliError('--test-only and --permanent contradict each other.');
  const rebootSeconds = Number(opts.rebootTimeout);
  if (!Number.isFinite(rebootSeconds) || rebootSeconds <= 0) {
    throw new CliError(`The reboot timeout "${opts.rebootTimeout}" is not a positive number of seconds.`);
  }
  const settleSeconds = Number(opts.settle);
  if (!Number.isFinite(settleSeconds) || settleSeconds < 0) {
    throw new CliError(`The settle time "${opts.settle}" is not a number of seconds ≥ 0.`);
  }
  const checks = parseChecks(opts);
  const mode: DfuMode = opts.testOnly ? 'test-only' : opts.permanent ? 'permanent' : 'test-and-confirm';
  const data = await readImageFile(path);
  // One bar per upload: a retry after MCUboot refused a vouched-for image uploads again.
  let progress = createProgressView(ctx.io.stderr, !ctx.json);
  const steps: DfuStep[] = [];
  try {
    const result = await ctx.withDevice((device) =>
      runDfu(device, data, {
        mode,
        call: ctx.callOptions(),
        rebootTimeoutMs: rebootSeconds * 1000,
        settleMs: settleSeconds * 1000,
        checks,
        revert: opts.revert,
        upload: {
          image: opts.image ?? 0,
          timeoutMs:
            ctx.globals.timeout !== undefined ? ctx.globals.timeout * 1000 : DEFAULT_CHUNK_TIMEOUT_MS,
          retries: ctx.globals.tries !== undefined ? ctx.globals.tries - 1 : DEFAULT_UPLOAD_RETRIES,
          onProgress: (p) => progress.update(p),
          ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
        },
        onStep: (step) => {
          if (step.kind === 'uploaded' || step.kind === 'already-uploaded') progress.stop();
          if (step.kind === 'retry') progress = createProgressView(ctx.io.stderr, !ctx.json);
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
      throw new CliError(notSignedMessage(path, err.detail.message, false));
    }
    throw err;
  }
}

/** Repeatable options: every occurrence adds one value. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerDfuCommand(program: Command, context: ContextFactory): void {
  program
    .command('dfu')
    .description(
      'Update in one go: upload, test, reset, watch the new image and run the checks, confirm it (or revert it)',
    )
    .argument('<file>', 'signed MCUboot image (.bin, or .hex: the image it holds is sent)')
    .option(
      '--test-only',
      'stop after the test boot: leave the new image unconfirmed (it reverts on the next reset)',
    )
    .option('--permanent', 'mark the image permanent before the reset instead of testing it')
    .option('-n, --image <num>', 'image number on multi-image devices (default 0)', (v) =>
      parseCount(v, 'image number', 0),
    )
    .option('--reboot-timeout <seconds>', 'how long to wait for the device after the reset', '60')
    .option(
      '--settle <seconds>',
      'how long the new image must keep running (answering, not rebooting) before it is confirmed',
      '5',
    )
    .option(
      '--check-stat <group.field>',
      'a statistic that must rise during the settle time (repeatable)',
      collect,
    )
    .option(
      '--check-shell <command>',
      'a shell command (SMP shell group) that must return 0 after the settle time (repeatable)',
      collect,
    )
    .option('--no-revert', 'leave an unhealthy image unconfirmed without resetting the device')
    .action((file: string, opts: DfuCommandOptions, command: Command) =>
      dfuCommand(context(command), file, opts),
    );
}
