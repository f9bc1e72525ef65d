/**
 * Fleets through a real Eclipse hawkBit (test/hawkbit/support/hawkbit.ts: the 0.3.0M7 test-rig
 * server, loopback, in-memory H2): a rollout to 100 in-process virtual boards behind `zdfu
 * gateway`, and to 1,000 virtual boards that poll hawkBit themselves with Zephyr's client (every
 * 10 s, in 10 groups, with faults). For each: the time until every board has reported, zdfu's CPU
 * and memory per board, the poll rate; and hawkBit's own limit measured in the same run (a short
 * all-out poll probe) with its CPU and memory, so each figure has hawkBit's beside it.
 *
 * Without java or the server jar (`bash scripts/hawkbit/setup.sh` builds it) every row is skipped
 * with the reason: there are no figures without the real server.
 */
import { spawnSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { getBoard } from '../src/device/boards/index.ts';
import { blinkyImageFor } from '../src/device/io/board-images.ts';
import { parseFaultPlan } from '../src/fleet/faults.ts';
import { simDevice } from '../src/fleet/gateway/devices.ts';
import { startGateway } from '../src/fleet/gateway/gateway.ts';
import { SYSTEM_CONFIG } from '../src/fleet/mgmt/client.ts';
import type { Rollout } from '../src/fleet/mgmt/schema.ts';
import { startSimFleet } from '../src/fleet/sim-fleet.ts';
import { findHawkbitJar, type HawkbitServer, startHawkbit } from '../test/hawkbit/support/hawkbit.ts';
import type { BenchGrid, BenchOutput } from './table.ts';

const MIB = 1024 * 1024;
const TITLE_GATEWAY = 'Fleet: rollout to 100 boards through zdfu gateway (real hawkBit 0.3.0M7)';
const TITLE_DIRECT = 'Fleet: 1,000 virtual boards polling hawkBit themselves (real hawkBit 0.3.0M7)';
const TITLE_LIMIT = "Fleet: hawkBit's own limit in the same run (all-out DDI polls)";
/** The fault plan of the 1,000-board rollout: 1 % of each fault (the issue's example). */
const FAULTS = 'power-cut-swap=1%,image-refused=1%,link-lost=1%,never-confirms=1%';

export interface FleetBenchOptions {
  /** Boards behind the gateway (default 100). */
  gatewayBoards?: number;
  /** Boards polling hawkBit themselves (default 1,000). */
  directBoards?: number;
  /** Their poll interval, s (default 10: the issue's target). */
  directPollSeconds?: number;
  /** How long the 1,000 boards poll idle before the rollout, to measure the steady state (s). */
  steadySeconds?: number;
}

export async function runFleetBench(options: FleetBenchOptions = {}): Promise<BenchOutput[]> {
  const missing = whyNoHawkbit();
  if (missing) {
    return [TITLE_GATEWAY, TITLE_DIRECT, TITLE_LIMIT].map((title) => ({
      kind: 'skipped',
      title,
      reason: missing,
    }));
  }
  const server = await startHawkbit({ fresh: true, pollingTime: '00:00:01' });
  try {
    const startRss = server.usage()?.rssBytes;
    const gateway = await gatewayRollout(server, options.gatewayBoards ?? 100);
    const direct = await directRollout(server, {
      count: options.directBoards ?? 1000,
      pollSeconds: options.directPollSeconds ?? 10,
      steadySeconds: options.steadySeconds ?? 30,
    });
    // Last, on a warm JVM with every fleet stopped: what the server can do at most.
    const limit = await probeHawkbit(server);
    return [gatewayTable(gateway), directTable(direct), limitTable(limit, direct, startRss)];
  } finally {
    await server.stop();
  }
}

/** Why the real hawkBit cannot run here, or undefined when it can. */
function whyNoHawkbit(): string | undefined {
  const java = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (java.error || java.status !== 0) {
    return 'no `java` on PATH (hawkBit 0.3.0M7 runs on a Java 17 runtime: apt-get install openjdk-17-jre-headless)';
  }
  try {
    findHawkbitJar();
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

// ---- measuring ----

interface Usage {
  at: number;
  cpu: NodeJS.CpuUsage;
  rss: number;
  hawkbit: { rssBytes: number; cpuMs: number } | undefined;
}

function usageNow(server: HawkbitServer): Usage {
  return {
    at: performance.now(),
    cpu: process.cpuUsage(),
    rss: process.memoryUsage().rss,
    hawkbit: server.usage(),
  };
}

/** CPU and memory between two samples: zdfu's (this process) and hawkBit's (the java process). */
interface Span {
  seconds: number;
  /** zdfu: % of one core. */
  cpuPercent: number;
  cpuMs: number;
  hawkbitCpuPercent: number | undefined;
}

function span(from: Usage, to: Usage): Span {
  const seconds = (to.at - from.at) / 1000;
  const cpuMs = (to.cpu.user + to.cpu.system - from.cpu.user - from.cpu.system) / 1000;
  const hbMs = from.hawkbit && to.hawkbit ? to.hawkbit.cpuMs - from.hawkbit.cpuMs : undefined;
  return {
    seconds,
    cpuMs,
    cpuPercent: (cpuMs / (seconds * 1000)) * 100,
    hawkbitCpuPercent: hbMs === undefined ? undefined : (hbMs / (seconds * 1000)) * 100,
  };
}

/** Keeps the largest RSS of zdfu and hawkBit seen while it runs (sampled every 250 ms). */
function peakWatch(server: HawkbitServer) {
  let zdfu = process.memoryUsage().rss;
  let hawkbit = server.usage()?.rssBytes ?? 0;
  const timer = setInterval(() => {
    zdfu = Math.max(zdfu, process.memoryUsage().rss);
    hawkbit = Math.max(hawkbit, server.usage()?.rssBytes ?? 0);
  }, 250);
  return {
    stop() {
      clearInterval(timer);
      return { zdfu: Math.max(zdfu, process.memoryUsage().rss), hawkbit };
    },
  };
}

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// ---- hawkBit's limit ----

interface ProbeResult {
  concurrency: number;
  seconds: number;
  polls: number;
  errors: number;
  pollsPerSecond: number;
  p50: number;
  p95: number;
  hawkbitCpuPercent: number | undefined;
  zdfuCpuPercent: number;
  hawkbitRss: number;
}

/**
 * All-out DDI polls (gateway token, keep-alive, `concurrency` loops over `ids` controllers, none
 * of which has an update) for a few seconds: the most polls per second this hawkBit answers here.
 * The load comes from this process on the same two cores, as in the facts sheet's load test.
 */
async function probeHawkbit(
  server: HawkbitServer,
  ids = 200,
  concurrency = 32,
  seconds = 6,
): Promise<ProbeResult> {
  const headers = { Authorization: `GatewayToken ${server.gatewayToken}`, Accept: 'application/hal+json' };
  const url = (i: number) => `${server.url}/DEFAULT/controller/v1/probe-${i}`;
  const poll = async (i: number): Promise<boolean> => {
    try {
      const response = await fetch(url(i), { headers, signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      return response.ok;
    } catch {
      return false;
    }
  };
  // Warm-up: the first poll of an unknown id registers the target (gateway token), and the JIT warms.
  for (let i = 0; i < ids; i += concurrency) {
    await Promise.all(Array.from({ length: Math.min(concurrency, ids - i) }, (_, k) => poll(i + k)));
  }
  const warmEnd = performance.now() + 2000;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < warmEnd) await poll(next++ % ids);
    }),
  );
  const latencies: number[] = [];
  let errors = 0;
  const before = usageNow(server);
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const started = performance.now();
        if (await poll(next++ % ids)) latencies.push(performance.now() - started);
        else errors++;
      }
    }),
  );
  const after = usageNow(server);
  const used = span(before, after);
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    seconds: used.seconds,
    polls: latencies.length,
    errors,
    pollsPerSecond: latencies.length / used.seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    hawkbitCpuPercent: used.hawkbitCpuPercent,
    zdfuCpuPercent: used.cpuPercent,
    hawkbitRss: after.hawkbit?.rssBytes ?? 0,
  };
}

// ---- the rollouts ----

interface RolloutResult {
  boards: number;
  groups: number;
  pollSeconds: number;
  /** From the rollout's start until every board has reported (s); undefined: not all did in time. */
  allReportedS: number | undefined;
  /** From the rollout's start until hawkBit called the rollout finished (s). */
  finishedS: number | undefined;
  p50ReportS: number;
  success: number;
  failed: number;
  /** The failed boards' reasons, in words, with how many had each. */
  failures: Map<string, number>;
  rolloutStatus: string;
  polls: number;
  rollout: Span;
  zdfuPeakRss: number;
  zdfuRssPerBoard: number;
  hawkbitPeakRss: number;
  /** The idle fleet (direct boards only): its poll rate and cost before the rollout. */
  steady?: { polls: number; span: Span };
  setupS: number;
}

/** A software module with one artifact, its distribution set, and a rollout over `filter`. */
async function prepareRollout(
  server: HawkbitServer,
  spec: { name: string; image: Uint8Array; filter: string; groups: number; errorThreshold?: number },
): Promise<Rollout> {
  const { mgmt } = server;
  const module = await mgmt.createSoftwareModule({ name: spec.name, version: '2.0.0', type: 'application' });
  await mgmt.uploadArtifact(module.id, { filename: 'zephyr.signed.bin', data: spec.image });
  const set = await mgmt.createDistributionSet({ name: spec.name, version: '2.0.0', moduleIds: [module.id] });
  const rollout = await mgmt.createRollout({
    name: `${spec.name}-rollout`,
    distributionSetId: set.id,
    targetFilterQuery: spec.filter,
    amountGroups: spec.groups,
    // The next group starts once half of this one succeeded (the facts sheet's rollouts).
    successThreshold: 50,
    ...(spec.errorThreshold === undefined ? {} : { errorThreshold: spec.errorThreshold }),
  });
  await mgmt.waitRolloutReady(rollout.id, { timeoutMs: 120_000 });
  return rollout;
}

/** Waits until `count` targets matching `q` are registered (the boards' first polls). */
async function waitRegistered(
  server: HawkbitServer,
  q: string,
  count: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { total } = await server.mgmt.listTargets({ q, limit: 1 });
    if (total >= count) return;
    if (Date.now() > deadline) {
      throw new Error(
        `only ${total} of ${count} boards registered with hawkBit within ${timeoutMs / 1000} s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Polls the rollout until every target has an outcome (finished or error), then until hawkBit
 * calls the rollout finished (its scheduler closes the last group on a later tick), each within
 * its bound. Times in s from `started`.
 */
async function waitAllReported(
  server: HawkbitServer,
  id: number,
  count: number,
  started: number,
  timeoutMs: number,
): Promise<{ rollout: Rollout; allReportedS: number | undefined; finishedS: number | undefined }> {
  const deadline = Date.now() + timeoutMs;
  let rollout = await server.mgmt.getRollout(id);
  let allReportedS: number | undefined;
  for (;;) {
    const counts = rollout.totalTargetsPerStatus ?? {};
    const ended = (counts.finished ?? 0) + (counts.error ?? 0);
    const now = (performance.now() - started) / 1000;
    if (ended >= count) allReportedS ??= now;
    if (rollout.status === 'finished') return { rollout, allReportedS, finishedS: now };
    if (Date.now() > deadline) return { rollout, allReportedS, finishedS: undefined };
    await new Promise((resolve) => setTimeout(resolve, 500));
    rollout = await server.mgmt.getRollout(id);
  }
}

/**
 * Starts the rollout and measures it until every board reported and hawkBit finished it: times,
 * outcomes, polls, zdfu's and hawkBit's CPU and peak RSS. `reported` and `failures` are filled by
 * the caller's listeners from `onStart` on.
 */
async function measureRollout(
  server: HawkbitServer,
  run: {
    rolloutId: number;
    plan: { boards: number; groups: number; pollSeconds: number };
    /** zdfu's RSS before the boards started. */
    base: number;
    reported: ReadonlyMap<string, number>;
    failures: Map<string, number>;
    polls: () => number;
    timeoutMs: number;
    onStart: (at: number) => void;
  },
): Promise<Omit<RolloutResult, 'setupS' | 'steady'>> {
  const peak = peakWatch(server);
  const before = usageNow(server);
  const pollsBefore = run.polls();
  const started = performance.now();
  run.onStart(started);
  await server.mgmt.startRollout(run.rolloutId);
  const ended = await waitAllReported(server, run.rolloutId, run.plan.boards, started, run.timeoutMs);
  const after = usageNow(server);
  const peaks = peak.stop();
  const counts = ended.rollout.totalTargetsPerStatus ?? {};
  const times = [...run.reported.values()].sort((a, b) => a - b);
  return {
    ...run.plan,
    allReportedS: ended.allReportedS,
    finishedS: ended.finishedS,
    p50ReportS: percentile(times, 50),
    success: counts.finished ?? 0,
    failed: counts.error ?? 0,
    failures: run.failures,
    rolloutStatus: ended.rollout.status,
    polls: run.polls() - pollsBefore,
    rollout: span(before, after),
    zdfuPeakRss: peaks.zdfu,
    zdfuRssPerBoard: (peaks.zdfu - run.base) / run.plan.boards,
    hawkbitPeakRss: peaks.hawkbit,
  };
}

async function gatewayRollout(server: HawkbitServer, count: number): Promise<RolloutResult> {
  const setupStarted = performance.now();
  const board = getBoard('stm32f4_disco');
  const image = await blinkyImageFor(board, 'blinky-two');
  await server.mgmt.setSystemConfig(SYSTEM_CONFIG.pollingTime, '00:00:02');
  collectGarbage();
  const base = process.memoryUsage().rss;
  const fleet = await startSimFleet({ count, board, idPrefix: 'gw-' });
  const reported = new Map<string, number>();
  const failures = new Map<string, number>();
  let polls = 0;
  // Polls counted where they leave: a GET of a controller's base resource.
  const countingFetch: typeof fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if ((init?.method ?? 'GET') === 'GET' && /\/controller\/v1\/[^/?]+(\?|$)/.test(url)) polls++;
    return fetch(input, init);
  };
  const gateway = await startGateway({
    ddi: {
      baseUrl: server.url,
      auth: { kind: 'gateway', token: server.gatewayToken },
      fetch: countingFetch,
    },
    devices: fleet.boards.map(simDevice),
    parallel: 16,
  });
  try {
    await waitRegistered(server, 'controllerId==gw-*', count, 120_000);
    const rollout = await prepareRollout(server, {
      name: 'bench-gateway',
      image,
      filter: 'controllerId==gw-*',
      groups: 5,
    });
    const setupS = (performance.now() - setupStarted) / 1000;
    let started = 0;
    const off = gateway.onStatus((status) => {
      for (const device of status.devices) {
        if (reported.has(device.controllerId) || started === 0) continue;
        if (device.phase === 'done' || device.phase === 'failed' || device.phase === 'gone') {
          reported.set(device.controllerId, (performance.now() - started) / 1000);
          if (device.phase !== 'done') {
            const why = device.error ?? device.phase;
            failures.set(why, (failures.get(why) ?? 0) + 1);
          }
        }
      }
    });
    const result = await measureRollout(server, {
      rolloutId: rollout.id,
      plan: { boards: count, groups: 5, pollSeconds: 2 },
      base,
      reported,
      failures,
      polls: () => polls,
      timeoutMs: 600_000,
      onStart: (at) => {
        started = at;
      },
    });
    off();
    return { ...result, setupS };
  } finally {
    await gateway.close();
    await fleet.close();
  }
}

async function directRollout(
  server: HawkbitServer,
  spec: { count: number; pollSeconds: number; steadySeconds: number },
): Promise<RolloutResult> {
  const setupStarted = performance.now();
  const board = getBoard('nrf52840dk');
  const image = await blinkyImageFor(board, 'blinky-two');
  const sleep = `00:00:${String(spec.pollSeconds).padStart(2, '0')}`;
  await server.mgmt.setSystemConfig(SYSTEM_CONFIG.pollingTime, sleep);
  collectGarbage();
  const base = process.memoryUsage().rss;
  let polls = 0;
  let started = 0;
  const reported = new Map<string, number>();
  const failures = new Map<string, number>();
  const fleet = await startSimFleet({
    count: spec.count,
    board,
    hawkbit: {
      url: server.url,
      auth: { kind: 'gateway', token: server.gatewayToken },
      pollIntervalMs: spec.pollSeconds * 1000,
    },
    faults: parseFaultPlan(FAULTS),
    onEvent: (event) => {
      if (event.kind === 'poll') polls++;
      if (started === 0 || reported.has(event.board.controllerId)) return;
      if (event.kind === 'success' || event.kind === 'failure') {
        reported.set(event.board.controllerId, (performance.now() - started) / 1000);
        if (event.kind === 'failure') {
          const why = `${event.board.fault ?? 'no fault'}: ${event.message}`;
          failures.set(why, (failures.get(why) ?? 0) + 1);
        }
      }
    },
  });
  try {
    const prefix = `${fleet.boards[0]!.controllerId.split('-')[0]}-`;
    const q = `controllerId==${prefix}*`;
    await waitRegistered(server, q, spec.count, 180_000);
    // The steady state: every board polling every pollSeconds, nothing to install.
    const steadyPeak = peakWatch(server);
    const steadyFrom = usageNow(server);
    const steadyPolls = polls;
    await new Promise((resolve) => setTimeout(resolve, spec.steadySeconds * 1000));
    const steadyTo = usageNow(server);
    steadyPeak.stop();
    const steady = { polls: polls - steadyPolls, span: span(steadyFrom, steadyTo) };

    const rollout = await prepareRollout(server, {
      name: 'bench-direct',
      image,
      filter: q,
      groups: 10,
      errorThreshold: 30,
    });
    const setupS = (performance.now() - setupStarted) / 1000;
    const result = await measureRollout(server, {
      rolloutId: rollout.id,
      plan: { boards: spec.count, groups: 10, pollSeconds: spec.pollSeconds },
      base,
      reported,
      failures,
      polls: () => polls,
      timeoutMs: 900_000,
      onStart: (at) => {
        started = at;
      },
    });
    return { ...result, steady, setupS };
  } finally {
    await fleet.close();
  }
}

// ---- the tables ----

const f1 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(1));
const f0 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(0));
const mib = (bytes: number) => (bytes / MIB).toFixed(0);
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || !(b > 0) ? '–' : `${(a / b).toFixed(2)}×`;

function failureWords(result: RolloutResult): string {
  if (result.failures.size === 0) return 'none';
  return [...result.failures]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([why, n]) => `${n}× ${why.length > 90 ? `${why.slice(0, 89)}…` : why}`)
    .join('; ');
}

function rolloutRow(what: string, r: RolloutResult): string[] {
  const cpuPerBoard = (r.rollout.cpuMs / r.boards / r.rollout.seconds) * 60;
  return [
    what,
    `${r.boards} / ${r.groups} groups / ${r.pollSeconds} s`,
    r.allReportedS === undefined ? `not all (${r.rolloutStatus})` : f1(r.allReportedS),
    f1(r.p50ReportS),
    r.finishedS === undefined ? `no (${r.rolloutStatus})` : f1(r.finishedS),
    `${r.success} / ${r.failed}`,
    f1(r.polls / r.rollout.seconds),
    `${f0(r.rollout.cpuPercent)} % (${f0(cpuPerBoard)} ms/min/board)`,
    `${mib(r.zdfuPeakRss)} MiB (${f0(r.zdfuRssPerBoard / 1024)} KiB/board)`,
    `${f0(r.rollout.hawkbitCpuPercent)} %`,
    `${mib(r.hawkbitPeakRss)} MiB`,
    ratio(r.rollout.hawkbitCpuPercent, r.rollout.cpuPercent),
  ];
}

const ROLLOUT_HEADERS = [
  'run',
  'boards / groups / poll',
  'all reported (s)',
  'p50 report (s)',
  'rollout finished (s)',
  'success / failed',
  'polls/s',
  'zdfu CPU (1 core)',
  'zdfu RSS peak',
  'hawkBit CPU',
  'hawkBit RSS peak',
  'hawkBit CPU ÷ zdfu CPU',
];

function gatewayTable(r: RolloutResult): BenchGrid {
  return {
    kind: 'grid',
    title: TITLE_GATEWAY,
    method:
      `Boards: stm32f4_disco in-process virtual boards (startSimFleet, their own flash timing) behind one gateway (parallel 16, gateway token), hawkBit polling time 00:00:02, ` +
      `a rollout in 5 groups (next group at 50 % success). Times from the rollout's start to each board's done/failed in the gateway and to hawkBit counting every target finished or in error; ` +
      `setup (boards registered, module, artifact ${'upload'}, rollout ready) took ${f1(r.setupS)} s and is not counted. CPU as % of one core over the rollout; RSS peaks sampled every 250 ms ` +
      `(zdfu's per board: its peak less the process's RSS before the boards started, ÷ boards). Failures: ${failureWords(r)}.`,
    headers: ROLLOUT_HEADERS,
    rows: [rolloutRow('gateway rollout', r)],
  };
}

function directTable(r: RolloutResult): BenchGrid {
  const steady = r.steady;
  const rows = [rolloutRow('rollout (faults)', r)];
  if (steady) {
    const perBoard = (steady.span.cpuMs / r.boards / steady.span.seconds) * 60;
    rows.unshift([
      'idle polling',
      `${r.boards} / – / ${r.pollSeconds} s`,
      '–',
      '–',
      '–',
      '–',
      f1(steady.polls / steady.span.seconds),
      `${f0(steady.span.cpuPercent)} % (${f1(perBoard)} ms/min/board)`,
      '(see below)',
      `${f0(steady.span.hawkbitCpuPercent)} %`,
      '–',
      ratio(steady.span.hawkbitCpuPercent, steady.span.cpuPercent),
    ]);
  }
  return {
    kind: 'grid',
    title: TITLE_DIRECT,
    method:
      `One zdfu process runs ${r.boards} nrf52840dk virtual boards (inline, sparse flash, their own flash timing), each polling hawkBit with Zephyr's client ` +
      `(gateway token, polling time ${r.pollSeconds} s: ${f1(r.boards / r.pollSeconds)} polls/s expected). First ${steady ? f0(steady.span.seconds) : '–'} s of idle polling, then a rollout in ` +
      `10 groups (next at 50 % success, pause above 30 % errors) with faults ${FAULTS}. Targets: within 2 GiB (peak ${mib(r.zdfuPeakRss)} MiB: ` +
      `${r.zdfuPeakRss < 2048 * MIB ? 'met' : 'NOT met'}); the rollout ${r.rolloutStatus === 'finished' ? 'finished' : `did not finish (${r.rolloutStatus})`}. ` +
      `Failed boards, in the boards' own words: ${failureWords(r)}. Setup ${f1(r.setupS)} s (registration, idle window, module, rollout ready) not counted.`,
    headers: ROLLOUT_HEADERS,
    rows,
  };
}

function limitTable(p: ProbeResult, direct: RolloutResult, startRss: number | undefined): BenchGrid {
  const demand = direct.boards / direct.pollSeconds;
  return {
    kind: 'grid',
    title: TITLE_LIMIT,
    method:
      `Run last, on the warm server with every fleet stopped: ${p.concurrency} keep-alive loops in the bench process polled 200 registered controllers with nothing assigned (gateway token) for ${f1(p.seconds)} s after a warm-up; ` +
      `load generator and server share the two cores. hawkBit RSS at start ${startRss === undefined ? '–' : `${mib(startRss)} MiB`}. ` +
      `The last column compares the poll rate ${direct.boards} boards at ${direct.pollSeconds} s need (${f1(demand)}/s) with this ceiling.`,
    headers: [
      'probe',
      'polls/s',
      'errors',
      'latency p50 / p95 (ms)',
      'hawkBit CPU',
      'load generator CPU',
      'hawkBit RSS',
      `${direct.boards} boards' demand ÷ ceiling`,
    ],
    rows: [
      [
        'all-out DDI polls',
        f0(p.pollsPerSecond),
        String(p.errors),
        `${f1(p.p50)} / ${f1(p.p95)}`,
        `${f0(p.hawkbitCpuPercent)} %`,
        `${f0(p.zdfuCpuPercent)} %`,
        `${mib(p.hawkbitRss)} MiB`,
        ratio(demand, p.pollsPerSecond),
      ],
    ],
  };
}
