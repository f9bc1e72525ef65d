/**
 * A real Eclipse hawkBit for the fleet suite and the fleet benchmark: the test-rig server that
 * scripts/hawkbit/setup.sh builds (fleet/hawkbit-server, hawkBit 0.3.0M7 starters, in-memory H2),
 * started on 127.0.0.1 at a free port with its own temporary artifact folder, and a Management API
 * client logged in to it.
 *
 * One server per run: the fleet suite's globalSetup (./global-setup.ts) starts one and hands it to
 * every test file through ZDFU_HAWKBIT_SHARED, since a start costs 10–35 s on two busy cores; a
 * file's startHawkbit() then returns that server (its stop() leaves it running) and only resets the
 * settings it asks for (gateway token, polling time). Outside the suite (the benchmark, a file run
 * with another config), or with `fresh: true`, startHawkbit() starts a server of its own.
 *
 * Java never outlives the caller: it runs under a small shell watchdog that kills it when our end
 * of its stdin closes, which happens on stop() and when this process dies in any way. Its output
 * goes to a log under .cache/hawkbit/logs for diagnosis; start failures quote the log's tail.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../../src/device/io/artifacts.ts';
import { MgmtClient, SYSTEM_CONFIG } from '../../../src/fleet/mgmt/client.ts';

export interface StartHawkbitOptions {
  /** The gateway token key to set (default: the shared server's, or a new random one); always (re)set. */
  gatewayToken?: string;
  /**
   * hawkBit's `config.polling.sleep` for every device, "HH:MM:SS" (default "00:00:01"; ≥ 1 s). For
   * hundreds of boards use 00:00:05 or more: about 1,000 polls/s saturate this server on 2 cores
   * (/work/shared/reference/hawkbit.md §7).
   */
  pollingTime?: string;
  /** Start a server of its own even when a shared one is running. */
  fresh?: boolean;
  /** JVM flags: `default` (-Xmx512m) or `lean` (-Xmx256m, C1 only, serial GC: faster start, less RSS). */
  jvm?: 'default' | 'lean';
  /** Bound on the start (default 240 s: 10 s on an idle machine, 35–108 s seen on two cores under load 15). */
  startTimeoutMs?: number;
  /** The server jar (default: ZDFU_HAWKBIT_JAR, else the one setup.sh built under .cache/hawkbit). */
  jar?: string;
}

export interface HawkbitServer {
  /** Root URL, e.g. http://127.0.0.1:40123 (DDI at {url}/DEFAULT/controller/v1/{id}). */
  url: string;
  tenant: 'DEFAULT';
  mgmt: MgmtClient;
  /** Management API basic-auth user and password (as the MgmtClient uses them). */
  user: string;
  password: string;
  /** The key that authenticates DDI calls of any controller (`Authorization: GatewayToken …`). */
  gatewayToken: string;
  /** The java process (undefined for a shared server started in another process). */
  javaPid: number | undefined;
  /** Where java's output goes. */
  logFile: string;
  /** Where hawkBit keeps uploaded artifacts (a temporary folder, removed on stop). */
  artifactDir: string;
  /** Resident memory and CPU time used so far by the java process (Linux /proc), if readable. */
  usage(): { rssBytes: number; cpuMs: number } | undefined;
  /** Stops the server this call started (waits for java to end); a no-op for the shared one. */
  stop(): Promise<void>;
}

/** What the suite's globalSetup passes to test files (JSON in ZDFU_HAWKBIT_SHARED). */
export interface SharedHawkbit {
  url: string;
  user: string;
  password: string;
  gatewayToken: string;
  javaPid: number;
  logFile: string;
  artifactDir: string;
}

export const SHARED_HAWKBIT_ENV = 'ZDFU_HAWKBIT_SHARED';

/** A start that failed: the words, and the log to read. */
export class HawkbitStartError extends Error {
  override readonly name = 'HawkbitStartError';
  readonly logFile: string | undefined;
  constructor(message: string, logFile?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.logFile = logFile;
  }
}

// Found by zdfu's package.json, so the path holds from the sources and from the bundled bench.
const root = packageRoot();
const cacheDir = join(root, '.cache', 'hawkbit');
const USER = 'admin';
const JVM_FLAGS = {
  default: ['-Xmx512m'],
  lean: ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'],
} as const;

export async function startHawkbit(options: StartHawkbitOptions = {}): Promise<HawkbitServer> {
  const shared = options.fresh ? undefined : sharedFromEnv();
  const server = shared ? attachShared(shared) : await launch(options);
  try {
    await configure(server, options);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** The jar setup.sh built (the only hawkbit-server-*.jar it keeps), or ZDFU_HAWKBIT_JAR. */
export function findHawkbitJar(): string {
  const fromEnv = process.env.ZDFU_HAWKBIT_JAR;
  if (fromEnv) return fromEnv;
  let jars: string[] = [];
  try {
    jars = readdirSync(cacheDir)
      .filter((name) => /^hawkbit-server-[0-9a-f]+\.jar$/.test(name))
      .map((name) => join(cacheDir, name))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  } catch {
    // no .cache/hawkbit yet: same answer as an empty one
  }
  const newest = jars[0];
  if (!newest) {
    throw new HawkbitStartError(
      `no hawkBit server jar in ${cacheDir}: build it with \`bash scripts/hawkbit/setup.sh\` (npm run test:fleet does)`,
    );
  }
  return newest;
}

/** Sets what this caller asked for on a running server: polling time, gateway token. */
async function configure(server: HawkbitServer, options: StartHawkbitOptions): Promise<void> {
  const pollingTime = options.pollingTime ?? '00:00:01';
  if (!/^\d\d:[0-5]\d:[0-5]\d$/.test(pollingTime)) {
    throw new RangeError(`pollingTime must be "HH:MM:SS", got '${pollingTime}'`);
  }
  await server.mgmt.setSystemConfig(SYSTEM_CONFIG.pollingTime, pollingTime);
  // Always set: an earlier file may have changed the shared server's key.
  server.gatewayToken = options.gatewayToken ?? server.gatewayToken;
  await server.mgmt.setGatewayToken(server.gatewayToken);
}

function sharedFromEnv(): SharedHawkbit | undefined {
  const text = process.env[SHARED_HAWKBIT_ENV];
  if (!text) return undefined;
  try {
    return JSON.parse(text) as SharedHawkbit;
  } catch (error) {
    throw new HawkbitStartError(
      `${SHARED_HAWKBIT_ENV} is not the JSON the fleet suite's globalSetup writes`,
      undefined,
      {
        cause: error,
      },
    );
  }
}

function attachShared(shared: SharedHawkbit): HawkbitServer {
  return {
    url: shared.url,
    tenant: 'DEFAULT',
    mgmt: new MgmtClient({ baseUrl: shared.url, user: shared.user, password: shared.password }),
    user: shared.user,
    password: shared.password,
    gatewayToken: shared.gatewayToken,
    javaPid: shared.javaPid,
    logFile: shared.logFile,
    artifactDir: shared.artifactDir,
    usage: () => procUsage(shared.javaPid),
    stop: async () => {},
  };
}

/**
 * The watchdog: java in the background with its output in the log; its pid on our stdout; when
 * our end of stdin closes (stop(), or this process gone), TERM, then KILL 15 s later.
 * Background lists of a non-interactive sh read /dev/null, hence stdin kept on fd 3.
 */
const WATCHDOG = [
  'exec 3<&0',
  'log="$1"; shift',
  'java "$@" >>"$log" 2>&1 </dev/null &',
  'j=$!',
  'echo "$j"',
  // Its own stdio on /dev/null: a sleep holding our stdout pipe would keep this process alive.
  '{ read -r _ <&3; kill "$j" 2>/dev/null; sleep 15; kill -9 "$j" 2>/dev/null; } >/dev/null 2>&1 &',
  'w=$!',
  'wait "$j"; code=$?',
  'kill "$w" 2>/dev/null',
  'exit "$code"',
].join('\n');

async function launch(options: StartHawkbitOptions): Promise<HawkbitServer> {
  const jar = options.jar ?? findHawkbitJar();
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const gatewayToken = options.gatewayToken ?? randomBytes(16).toString('hex');
  mkdirSync(join(cacheDir, 'logs'), { recursive: true });
  const logFile = join(
    cacheDir,
    'logs',
    `hawkbit-${new Date().toISOString().replace(/[:.]/g, '-')}-${port}.log`,
  );
  const artifactDir = mkdtempSync(join(tmpdir(), 'zdfu-hawkbit-'));
  const url = `http://127.0.0.1:${port}`;
  const args = [
    ...JVM_FLAGS[options.jvm ?? 'default'],
    '-jar',
    jar,
    '--server.address=127.0.0.1',
    `--server.port=${port}`,
    `--spring.security.user.name=${USER}`,
    `--spring.security.user.password={noop}${password}`,
    `--org.eclipse.hawkbit.repository.file.path=${artifactDir}`,
  ];
  const started = Date.now();
  // cwd in the temporary folder: whatever java writes by a relative path lands there, not in the repo.
  const child = spawn('sh', ['-c', WATCHDOG, 'zdfu-hawkbit', logFile, ...args], {
    cwd: artifactDir,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });
  // If this process ends without stop(), the watchdog sees stdin close; 'exit' closes it earlier.
  const onExit = () => child.stdin?.destroy();
  process.once('exit', onExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    await exit;
    clearTimeout(timer);
    rmSync(artifactDir, { recursive: true, force: true });
  };

  try {
    const javaPid = await readJavaPid(child, logFile);
    const mgmt = new MgmtClient({ baseUrl: url, user: USER, password, timeoutMs: 10_000 });
    await waitReady(url, password, options.startTimeoutMs ?? 240_000, started, logFile, () => exited);
    return {
      url,
      tenant: 'DEFAULT',
      mgmt,
      user: USER,
      password,
      gatewayToken,
      javaPid,
      logFile,
      artifactDir,
      usage: () => procUsage(javaPid),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function readJavaPid(child: ChildProcess, logFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    if (!child.stdout) {
      reject(new HawkbitStartError('the hawkBit watchdog has no stdout', logFile));
      return;
    }
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      lines.close();
      // Nothing more comes on stdout; an open pipe would hold this process's event loop.
      child.stdout?.destroy();
      const pid = Number(line.trim());
      if (Number.isInteger(pid) && pid > 0) resolve(pid);
      else
        reject(
          new HawkbitStartError(`the hawkBit watchdog printed '${line}' instead of java's pid`, logFile),
        );
    });
    child.once('error', (error) =>
      reject(
        new HawkbitStartError(`cannot start sh for hawkBit: ${error.message}`, logFile, { cause: error }),
      ),
    );
    child.once('exit', (code) =>
      reject(
        new HawkbitStartError(`the hawkBit watchdog ended (code ${code}) before starting java`, logFile),
      ),
    );
  });
}

/** Polls GET /rest/v1/targets until 200, java ends, or the deadline passes. */
async function waitReady(
  url: string,
  password: string,
  timeoutMs: number,
  started: number,
  logFile: string,
  exited: () => { code: number | null; signal: NodeJS.Signals | null } | undefined,
): Promise<void> {
  const auth = `Basic ${Buffer.from(`${USER}:${password}`).toString('base64')}`;
  let last = 'no answer yet';
  for (;;) {
    const gone = exited();
    if (gone) {
      throw new HawkbitStartError(
        `hawkBit ended during start (exit code ${gone.code}, signal ${gone.signal}); its log ${logFile} ends with:\n${logTail(logFile)}`,
        logFile,
      );
    }
    if (Date.now() - started > timeoutMs) {
      throw new HawkbitStartError(
        `hawkBit at ${url} was not ready within ${timeoutMs / 1000} s (last: ${last}); its log ${logFile} ends with:\n${logTail(logFile)}`,
        logFile,
      );
    }
    try {
      const response = await fetch(`${url}/rest/v1/targets?limit=1`, {
        headers: { Authorization: auth },
        signal: AbortSignal.timeout(5_000),
      });
      await response.arrayBuffer();
      if (response.ok) return;
      last = `GET /rest/v1/targets → ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function logTail(logFile: string, lines = 25): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log written)';
  }
}

/** A port free on 127.0.0.1 right now (the kernel's pick). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** RSS and user+system CPU of a Linux process from /proc (clock ticks of 10 ms, Linux's USER_HZ). */
function procUsage(pid: number): { rssBytes: number; cpuMs: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: state is field 3, utime 14 and stime 15 (proc(5)), so indices 11, 12.
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (!Number.isFinite(rssKb) || !Number.isFinite(ticks)) return undefined;
    return { rssBytes: rssKb * 1024, cpuMs: ticks * 10 };
  } catch {
    return undefined;
  }
}
