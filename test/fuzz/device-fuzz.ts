/**
 * Fuzzes the virtual device over one transport. Inputs go in batches; after each batch a known-good
 * echo probe must be answered in time (else: a hang), nothing may have escaped (uncaught exception,
 * unhandled rejection, an SMP server call that rejected, a handler's JavaScript error), every answer
 * must be a well-formed SMP response, the flash must not have changed unless a flash-writing
 * request reached the server, and at the end the heap (after GC) must not have grown past a bound.
 *
 * Search and shrinking are two fast-check runs from one seed: the search stops at the first failing
 * batch (endOnFailure), then that batch is replayed by its path on a fresh device and shrunk.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { serialInput, smpPacket, toHex } from './generators.ts';
import {
  AnswerCheck,
  describeError,
  type FuzzTarget,
  inputKind,
  openTarget,
  ServerWatch,
  type TransportName,
} from './targets.ts';

export interface DeviceFuzzOptions {
  transport: TransportName;
  seed: number;
  /** Inputs to send (rounded up to whole batches). */
  inputs: number;
  /** Stop the search after this many seconds even if fewer inputs were sent. */
  seconds?: number;
  /** Inputs between two echo probes. */
  batch?: number;
  /** How long one probe may wait for its answer (two probes are tried). */
  probeTimeoutMs?: number;
  /** Time given to shrinking a failure. */
  shrinkSeconds?: number;
  /** Allowed heap growth after GC, end against start. */
  maxHeapGrowthMiB?: number;
  /** Allowed RSS peak above the start. */
  maxRssGrowthMiB?: number;
  /** Replay fast-check's path of a reported failure (with its seed) instead of searching. */
  path?: string;
  onProgress?: (sent: number) => void;
}

export interface MemoryFigures {
  heapBeforeMiB: number;
  heapPeakMiB: number;
  heapAfterMiB: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  rssAfterMiB: number;
}

export interface FuzzFailure {
  readonly message: string;
  readonly seed: number;
  /** fast-check's path of the (shrunk) counterexample: `--seed S --path P` replays it. */
  readonly path: string | undefined;
  /** The shrunk batch, one input per entry, as hex. */
  readonly inputsHex: string[];
  readonly reproducedInIsolation: boolean;
}

export interface DeviceFuzzReport {
  transport: TransportName;
  seed: number;
  /** Inputs sent during the search (shrink replays not counted). */
  sent: number;
  /** SMP packets the device's server handled (probes included). */
  serverPackets: number;
  /** Answers the device sent (probe answers not counted). */
  answers: number;
  /** Packets that reached a flash-writing handler (the flash check skipped those batches). */
  writersReached: number;
  crashes: number;
  hangs: number;
  flashChanges: number;
  malformedAnswers: number;
  seconds: number;
  inputsPerSecond: number;
  memory: MemoryFigures;
  memoryGrowthFailure: string | undefined;
  failure: FuzzFailure | undefined;
}

const MiB = 1024 * 1024;

/** A forced GC, so heap figures compare live data rather than garbage. */
export function collectGarbage(): void {
  const global = globalThis as { gc?: () => void };
  if (!global.gc) {
    setFlagsFromString('--expose-gc');
    global.gc = runInNewContext('gc') as () => void;
  }
  global.gc();
}

type FailureKind = 'crash' | 'hang' | 'flash' | 'answer';

class BatchFailure extends Error {
  constructor(
    readonly kinds: ReadonlySet<FailureKind>,
    message: string,
  ) {
    super(message);
  }
}

/** Runs one transport's fuzz session and reports what it found. */
export async function fuzzDevice(options: DeviceFuzzOptions): Promise<DeviceFuzzReport> {
  const batch = options.batch ?? 100;
  const probeTimeoutMs = options.probeTimeoutMs ?? 5000;
  const kind = inputKind(options.transport);
  const inputArb = kind === 'packet' ? smpPacket : serialInput;
  const batchArb = fc.array(inputArb, { minLength: batch, maxLength: batch });

  const escaped: string[] = [];
  const onEscape = (error: unknown) => {
    escaped.push(`escaped: ${describeError(error)}`);
  };
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  const watch = new ServerWatch();
  const answers = new AnswerCheck();

  let target: FuzzTarget | undefined;
  let baseline: Uint8Array = new Uint8Array(0);
  let flashOps: string[] = [];
  let broken = true;
  const open = async () => {
    if (target) await target.close().catch(() => undefined);
    target = await openTarget(options.transport, answers, escaped);
    const flash = target.device.flash;
    baseline = flash.contents().slice();
    flash.onOperation((op) => {
      if (op.kind !== 'read' && flashOps.length < 10)
        flashOps.push(`${op.kind} at 0x${op.offset.toString(16)} (${op.length} bytes)`);
    });
    if (!(await target.probe(probeTimeoutMs)))
      throw new Error(`${options.transport}: the device does not answer an echo right after boot`);
    broken = false;
  };

  let sent = 0;
  let searching = true;
  const counts = { crashes: 0, hangs: 0, flashChanges: 0, malformedAnswers: 0 };
  let heapPeak = 0;
  let rssPeak = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    heapPeak = Math.max(heapPeak, usage.heapUsed);
    rssPeak = Math.max(rssPeak, usage.rss);
  };

  // fast-check's time limit abandons the run in progress; the batch then stops at its next input
  // (without judging a cut batch), and the search waits for it before closing the device.
  let deadline = Number.POSITIVE_INFINITY;
  const timeUp = () => searching && performance.now() >= deadline;
  const checkBatch = async (inputs: Uint8Array[]) => {
    if (timeUp()) return;
    if (broken || !target) await open();
    const device = target!;
    const writersBefore = watch.writers;
    flashOps = [];
    let reached = 0;
    for (const input of inputs) {
      if (timeUp()) return;
      await device.send(input);
      reached++;
      if (searching) {
        sent++;
        if (sent % 10_000 === 0) options.onProgress?.(sent);
      }
    }
    const answered = (await device.probe(probeTimeoutMs)) || (await device.probe(probeTimeoutMs));
    sample();
    const kinds = new Set<FailureKind>();
    const problems: string[] = [];
    const crashes = [...escaped.splice(0), ...watch.crashes.splice(0)];
    // The firmware runs in a worker: a worker that died, or a device that left "running" without
    // a reset request, crashed.
    const firmwareStatus = device.device.firmware?.status() ?? 'none';
    if (device.device.state !== 'running' || (firmwareStatus !== 'running' && firmwareStatus !== 'idle')) {
      crashes.push(`the device is ${device.device.state} and its firmware ${firmwareStatus}`);
    }
    if (crashes.length > 0) {
      kinds.add('crash');
      problems.push(...crashes.slice(0, 3));
    }
    if (!answered) {
      kinds.add('hang');
      problems.push(
        `hang: no answer to an echo probe within 2 × ${probeTimeoutMs} ms after ${reached} inputs ` +
          `(device ${device.device.state}, firmware ${device.device.firmware?.status() ?? 'none'})`,
      );
    }
    const wrote = watch.writers !== writersBefore;
    const flash = device.device.flash;
    if (!wrote && (flashOps.length > 0 || !sameBytes(flash.contents(), baseline))) {
      kinds.add('flash');
      problems.push(
        `flash changed with no flash-writing request: ${flashOps.join(', ') || 'contents differ'}`,
      );
    }
    if (wrote) baseline = flash.contents().slice();
    const bad = answers.problems.splice(0);
    if (bad.length > 0) {
      kinds.add('answer');
      problems.push(...bad.slice(0, 3));
    }
    if (problems.length === 0) return;
    if (searching) {
      if (kinds.has('crash')) counts.crashes++;
      if (kinds.has('hang')) counts.hangs++;
      if (kinds.has('flash')) counts.flashChanges++;
      if (kinds.has('answer')) counts.malformedAnswers++;
    }
    // The next run (a shrink step) starts on a fresh device.
    broken = true;
    throw new BatchFailure(kinds, problems.join('\n'));
  };
  let running: Promise<unknown> = Promise.resolve();
  const check = (inputs: Uint8Array[]) => {
    const run = checkBatch(inputs);
    running = run.catch(() => undefined);
    return run;
  };
  const property = fc.asyncProperty(batchArb, check);

  const started = performance.now();
  let failure: FuzzFailure | undefined;
  let memory: MemoryFigures;
  let memoryGrowthFailure: string | undefined;
  let searchSeconds = 0;
  try {
    await open();
    collectGarbage();
    const before = process.memoryUsage();
    heapPeak = before.heapUsed;
    rssPeak = before.rss;

    if (options.seconds) deadline = performance.now() + options.seconds * 1000;
    const search = await fc.check(property, {
      seed: options.seed,
      numRuns: Math.max(1, Math.ceil(options.inputs / batch)),
      // A replay runs the one failing batch and shrinks it; a search stops at the first failure.
      ...(options.path ? { path: options.path } : {}),
      endOnFailure: true,
      ...(options.seconds ? { interruptAfterTimeLimit: options.seconds * 1000 } : {}),
    });
    await running;
    searchSeconds = (performance.now() - started) / 1000;
    searching = false;

    // Memory is judged on the search only, before any shrinking restarts the device.
    collectGarbage();
    const after = process.memoryUsage();
    memory = {
      heapBeforeMiB: before.heapUsed / MiB,
      heapPeakMiB: heapPeak / MiB,
      heapAfterMiB: after.heapUsed / MiB,
      rssBeforeMiB: before.rss / MiB,
      rssPeakMiB: rssPeak / MiB,
      rssAfterMiB: after.rss / MiB,
    };
    const heapGrowth = memory.heapAfterMiB - memory.heapBeforeMiB;
    const rssGrowth = memory.rssPeakMiB - memory.rssBeforeMiB;
    if (heapGrowth > (options.maxHeapGrowthMiB ?? 32)) {
      memoryGrowthFailure = `heap grew by ${heapGrowth.toFixed(1)} MiB after GC (bound ${options.maxHeapGrowthMiB ?? 32} MiB)`;
    } else if (rssGrowth > (options.maxRssGrowthMiB ?? 512)) {
      memoryGrowthFailure = `RSS peaked ${rssGrowth.toFixed(1)} MiB above the start (bound ${options.maxRssGrowthMiB ?? 512} MiB)`;
    }

    if (search.failed && search.counterexample) {
      failure = await shrink(search, check, options);
      await running;
    }
  } finally {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
    watch.restore();
    await target?.close().catch(() => undefined);
  }
  return {
    transport: options.transport,
    seed: options.seed,
    sent,
    serverPackets: watch.packets,
    answers: answers.responses,
    writersReached: watch.writers,
    ...counts,
    seconds: searchSeconds,
    inputsPerSecond: sent / Math.max(searchSeconds, 1e-9),
    memory,
    memoryGrowthFailure,
    failure,
  };
}

/**
 * Shrinks a failing batch on a fresh device: fast-check tries ever smaller subsequences of it,
 * starting with the whole batch, and keeps the smallest that still fails.
 */
async function shrink(
  search: fc.RunDetails<[Uint8Array[]]>,
  check: (inputs: Uint8Array[]) => Promise<void>,
  options: DeviceFuzzOptions,
): Promise<FuzzFailure> {
  const original = search.counterexample![0];
  const replay = await fc.check(fc.asyncProperty(fc.subarray(original, { minLength: 1 }), check), {
    seed: search.seed,
    examples: [[original]],
    numRuns: 1,
    interruptAfterTimeLimit: (options.shrinkSeconds ?? 120) * 1000,
  });
  const shrunk = replay.failed && replay.counterexample ? replay.counterexample[0] : undefined;
  const found = errorText(search.errorInstance);
  const smallest = shrunk ? errorText(replay.errorInstance) : found;
  return {
    message: smallest === found ? found : `${found}\nthe smallest failing subsequence gave: ${smallest}`,
    seed: search.seed,
    path: search.counterexamplePath ?? undefined,
    inputsHex: (shrunk ?? original).map(toHex),
    reproducedInIsolation: shrunk !== undefined,
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}
