/**
 * A small fake of hawkBit's DDI API for unit tests: node:http on 127.0.0.1, port 0, tenant DEFAULT.
 * It answers as hawkBit 0.3.0M7 does (hawkbit: DdiRootController, DataConversionHelper,
 * JpaControllerManagement; facts sheet /work/shared/reference/hawkbit.md §4–§5):
 * - auth: anonymous, TargetToken (the target's own token) or GatewayToken (any controller); 401
 *   otherwise. An anonymous or gateway poll of an unknown controller registers it (§5).
 * - poll: config.polling.sleep, a `deploymentBase` link with a `?c=` hash for the oldest active
 *   action, `cancelAction` instead once it is cancelled, `configData` while attributes are wanted
 *   (new targets, and after a finished action).
 * - deploymentBase and cancelAction answers; artifacts at `download-http` links of its own, with
 *   `md5sum-http`; `serveData` serves other bytes than the announced ones (a corrupt download).
 * - feedback moves the action as hawkBit does: closed+success/none → finished, closed+failure →
 *   error, anything else → running; 410 once the action is closed; 404 when the body's id is not
 *   the path's. Cancel feedback: closed+success → canceled, closed+failure or rejected → running
 *   again (cancel refused); "canceled" is only a warning in hawkBit (status unchanged); 405 when
 *   the action is not being cancelled.
 * - configData merge/replace/remove; a request log.
 * Request bodies are validated with the client's own schemas (src/fleet/ddi/schema.ts): a body
 * hawkBit would refuse gets 400.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DdiFeedback } from '../../src/fleet/ddi/client.ts';
import { ddiActionFeedbackSchema, ddiConfigDataSchema } from '../../src/fleet/ddi/schema.ts';
import { parseSleep } from '../../src/fleet/ddi/sleep.ts';

export type FakeDdiAuthKind = 'none' | 'target' | 'gateway';
export type FakeActionStatus = 'pending' | 'running' | 'canceling' | 'canceled' | 'finished' | 'error';

export interface FakeDdiOptions {
  /** Which DDI auth the server accepts (one kind, or several as hawkBit allows). Default 'none'. */
  auth?: FakeDdiAuthKind | readonly FakeDdiAuthKind[];
  /** The gateway token (system config authentication.gatewaytoken.key). */
  gatewayToken?: string;
  /** config.polling.sleep in every poll answer; default hawkBit's "00:05:00". */
  pollSleep?: string;
}

export interface FakeDistribution {
  name: string;
  version: string;
  chunks: Array<{
    part: string;
    name: string;
    version: string;
    artifacts: Array<{ filename: string; data: Uint8Array; serveData?: Uint8Array }>;
  }>;
}

export interface FakeDdiRequest {
  method: string;
  /** The URL path without the query. */
  path: string;
  controllerId?: string;
  /** The HTTP status the fake answered. */
  status: number;
  at: number;
}

export interface FakeDdi {
  url: string;
  tenant: 'DEFAULT';
  gatewayToken: string;
  /** Registers a target; returns its security token (the given one, or a random one). */
  addTarget(controllerId: string, token?: string): string;
  /** Controllers known to the server, registered by addTarget or by their first poll. */
  targetIds(): string[];
  /** A forced assignment of a new distribution set to each controller: controllerId → actionId. */
  assign(controllerIds: string[], dist: FakeDistribution): Map<string, string>;
  /** Cancels an active action (it becomes 'canceling' until the controller confirms). */
  cancel(actionId: string): void;
  /** Feedback posted on the action's deploymentBase, in order. */
  feedback(actionId: string): DdiFeedback[];
  /** Feedback posted on the action's cancelAction, in order. */
  cancelFeedback(actionId: string): DdiFeedback[];
  configData(controllerId: string): Record<string, string>;
  actionStatus(actionId: string): FakeActionStatus;
  /** The next `count` DDI requests are answered with `status` (default 503) and nothing else. */
  failNext(count: number, status?: number): void;
  requests(): FakeDdiRequest[];
  close(): Promise<void>;
}

interface Target {
  token: string;
  attributes: Record<string, string>;
  requestAttributes: boolean;
}

interface Artifact {
  filename: string;
  size: number;
  served: Uint8Array;
  sha1: string;
  md5: string;
  sha256: string;
}

interface Module {
  id: number;
  part: string;
  name: string;
  version: string;
  artifacts: Artifact[];
}

interface Action {
  id: string;
  controllerId: string;
  modules: Module[];
  status: FakeActionStatus;
  feedback: DdiFeedback[];
  cancelFeedback: DdiFeedback[];
}

const MAX_BODY = 64 * 1024;
const ACTIVE: ReadonlySet<FakeActionStatus> = new Set(['pending', 'running', 'canceling']);

export async function startFakeDdi(options: FakeDdiOptions = {}): Promise<FakeDdi> {
  const authKinds = new Set<FakeDdiAuthKind>(
    typeof options.auth === 'string' ? [options.auth] : (options.auth ?? ['none']),
  );
  const gatewayToken = options.gatewayToken ?? `gw-${randomBytes(8).toString('hex')}`;
  const pollSleep = options.pollSleep ?? '00:05:00';
  parseSleep(pollSleep); // a bad interval fails here, not in the client under test
  const targets = new Map<string, Target>();
  const actions = new Map<string, Action>();
  const log: FakeDdiRequest[] = [];
  let nextAction = 1;
  let nextModule = 1;
  let failures: { count: number; status: number } = { count: 0, status: 503 };
  let url = '';

  const register = (controllerId: string, token = randomBytes(16).toString('hex')): Target => {
    const target = { token, attributes: {}, requestAttributes: true };
    targets.set(controllerId, target);
    return target;
  };
  const actionOf = (actionId: string): Action => {
    const action = actions.get(actionId);
    if (action === undefined) throw new Error(`the fake DDI server has no action ${actionId}`);
    return action;
  };
  const base = (controllerId: string) => `${url}/DEFAULT/controller/v1/${encodeURIComponent(controllerId)}`;

  /** Who may act for `controllerId`, as hawkBit's DDI security filters decide. */
  const authorized = (req: IncomingMessage, controllerId: string): boolean => {
    const header = req.headers.authorization ?? '';
    const [scheme, token] = header.split(/\s+/, 2);
    if (authKinds.has('gateway') && scheme === 'GatewayToken' && token === gatewayToken) return true;
    if (authKinds.has('target') && scheme === 'TargetToken' && token !== undefined && token !== '') {
      return targets.get(controllerId)?.token === token;
    }
    return authKinds.has('none');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const match = /^\/DEFAULT\/controller\/v1\/([^/]+)(\/.*)?$/.exec(path);
    if (match === null) return send(res, 404, { message: 'not a DDI path of tenant DEFAULT' });
    const id = decodeURIComponent(match[1] ?? '');
    const rest = match[2] ?? '';
    if (failures.count > 0) {
      failures.count--;
      return send(res, failures.status, { message: 'failure injected by the test' });
    }
    if (!authorized(req, id)) return send(res, 401, undefined);
    const method = req.method ?? 'GET';
    const target = targets.get(id);

    if (rest === '' || rest === '/') {
      if (method !== 'GET') return send(res, 405, undefined);
      const t = target ?? register(id);
      const active = [...actions.values()].find((a) => a.controllerId === id && ACTIVE.has(a.status));
      const links: Record<string, { href: string }> = {};
      if (active !== undefined && active.status === 'canceling') {
        links.cancelAction = { href: `${base(id)}/cancelAction/${active.id}` };
      } else if (active !== undefined) {
        links.deploymentBase = { href: `${base(id)}/deploymentBase/${active.id}?c=${etag(active)}` };
      }
      if (t.requestAttributes) links.configData = { href: `${base(id)}/configData` };
      return send(res, 200, { config: { polling: { sleep: pollSleep } }, _links: links });
    }
    if (target === undefined) return send(res, 404, { message: `no target ${id}` });

    let m = /^\/deploymentBase\/(\d+)(\/feedback)?$/.exec(rest);
    if (m !== null) {
      const action = actions.get(m[1] ?? '');
      if (action === undefined || action.controllerId !== id) return send(res, 404, undefined);
      if (m[2] === undefined) {
        if (method !== 'GET') return send(res, 405, undefined);
        if (action.status === 'canceling' || action.status === 'canceled') return send(res, 404, undefined);
        if (action.status === 'pending') action.status = 'running';
        return send(res, 200, deploymentJson(action, base(id)));
      }
      if (method !== 'POST') return send(res, 405, undefined);
      const fb = parseFeedback(await readBody(req), action.id);
      if (typeof fb === 'number') return send(res, fb, undefined);
      if (!ACTIVE.has(action.status)) return send(res, 410, undefined);
      action.feedback.push(fb);
      action.status =
        fb.execution === 'closed'
          ? fb.finished === 'failure'
            ? 'error'
            : 'finished'
          : fb.execution === 'canceled'
            ? action.status // hawkBit records it but does not move the action
            : action.status === 'pending'
              ? 'running'
              : action.status;
      // hawkBit asks for the attributes again after an update (JpaControllerManagement).
      if (action.status === 'finished') target.requestAttributes = true;
      return send(res, 200, undefined);
    }

    m = /^\/cancelAction\/(\d+)(\/feedback)?$/.exec(rest);
    if (m !== null) {
      const action = actions.get(m[1] ?? '');
      if (action === undefined || action.controllerId !== id) return send(res, 404, undefined);
      const cancelling = action.status === 'canceling' || action.status === 'canceled';
      if (m[2] === undefined) {
        if (method !== 'GET') return send(res, 405, undefined);
        if (!cancelling) return send(res, 404, undefined);
        return send(res, 200, { id: action.id, cancelAction: { stopId: action.id } });
      }
      if (method !== 'POST') return send(res, 405, undefined);
      const fb = parseFeedback(await readBody(req), action.id);
      if (typeof fb === 'number') return send(res, fb, undefined);
      if (!cancelling) return send(res, 405, { message: 'The action is not in canceling state.' });
      action.cancelFeedback.push(fb);
      if (fb.execution === 'closed' && fb.finished !== 'failure') action.status = 'canceled';
      else if (fb.execution === 'rejected' || fb.execution === 'closed') action.status = 'running';
      return send(res, 200, undefined);
    }

    if (rest === '/configData') {
      if (method !== 'PUT') return send(res, 405, undefined);
      const body = parseJson(await readBody(req));
      const parsed = ddiConfigDataSchema.safeParse(body);
      if (!parsed.success) return send(res, 400, { message: 'bad configData' });
      const { mode = 'merge', data } = parsed.data;
      if (mode === 'replace') target.attributes = { ...data };
      else if (mode === 'merge') target.attributes = { ...target.attributes, ...data };
      else for (const key of Object.keys(data)) delete target.attributes[key];
      target.requestAttributes = false;
      return send(res, 200, undefined);
    }

    m = /^\/softwaremodules\/(\d+)\/artifacts\/([^/]+)$/.exec(rest);
    if (m !== null) {
      if (method !== 'GET') return send(res, 405, undefined);
      const moduleId = Number(m[1]);
      const requested = decodeURIComponent(m[2] ?? '');
      const md5sum = requested.endsWith('.MD5SUM');
      const filename = md5sum ? requested.slice(0, -'.MD5SUM'.length) : requested;
      // Only a controller with an action for the module may fetch it (hawkBit: checkAndLogDownload).
      const module = [...actions.values()]
        .filter((a) => a.controllerId === id)
        .flatMap((a) => a.modules)
        .find((mod) => mod.id === moduleId);
      const artifact = module?.artifacts.find((a) => a.filename === filename);
      if (artifact === undefined) return send(res, 404, undefined);
      if (md5sum) return sendBytes(res, Buffer.from(`${artifact.md5}  ${artifact.filename}`), 'text/plain');
      return sendBytes(res, artifact.served, 'application/octet-stream');
    }
    return send(res, 404, undefined);
  };

  const server = createServer((req, res) => {
    const at = Date.now();
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const controllerId = /^\/DEFAULT\/controller\/v1\/([^/]+)/.exec(path)?.[1];
    const entry: FakeDdiRequest = { method: req.method ?? 'GET', path, status: 0, at };
    if (controllerId !== undefined) entry.controllerId = decodeURIComponent(controllerId);
    log.push(entry);
    handle(req, res).then(
      (status) => {
        entry.status = status;
      },
      (error: unknown) => {
        entry.status = error instanceof BodyError ? error.status : 500;
        if (!res.headersSent) send(res, entry.status, { message: String(error) });
        else res.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    tenant: 'DEFAULT',
    gatewayToken,
    addTarget(controllerId, token) {
      if (targets.has(controllerId)) throw new Error(`target ${controllerId} exists already`);
      return register(controllerId, token).token;
    },
    targetIds: () => [...targets.keys()],
    assign(controllerIds, dist) {
      const modules: Module[] = dist.chunks.map((chunk) => ({
        id: nextModule++,
        part: chunk.part,
        name: chunk.name,
        version: chunk.version,
        artifacts: chunk.artifacts.map((a) => ({
          filename: a.filename,
          size: a.data.length,
          served: a.serveData ?? a.data,
          sha1: hash('sha1', a.data),
          md5: hash('md5', a.data),
          sha256: hash('sha256', a.data),
        })),
      }));
      const assigned = new Map<string, string>();
      for (const controllerId of controllerIds) {
        if (!targets.has(controllerId)) register(controllerId);
        // A new assignment supersedes what was still open (hawkBit cancels it; non-multi-assign).
        for (const old of actions.values()) {
          if (old.controllerId === controllerId && ACTIVE.has(old.status)) old.status = 'canceling';
        }
        const id = String(nextAction++);
        actions.set(id, { id, controllerId, modules, status: 'pending', feedback: [], cancelFeedback: [] });
        assigned.set(controllerId, id);
      }
      return assigned;
    },
    cancel(actionId) {
      const action = actionOf(actionId);
      if (!ACTIVE.has(action.status)) {
        throw new Error(`action ${actionId} is ${action.status}: only an active action can be cancelled`);
      }
      action.status = 'canceling';
    },
    feedback: (actionId) => [...actionOf(actionId).feedback],
    cancelFeedback: (actionId) => [...actionOf(actionId).cancelFeedback],
    configData: (controllerId) => ({ ...targets.get(controllerId)?.attributes }),
    actionStatus: (actionId) => actionOf(actionId).status,
    failNext(count, status = 503) {
      failures = { count, status };
    },
    requests: () => log.map((entry) => ({ ...entry })),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** hawkBit's `c` parameter changes when the action does (DataConversionHelper.calculateEtag). */
function etag(action: Action): number {
  let h = 17;
  for (const ch of `${action.id}:${action.status}`) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h;
}

function deploymentJson(action: Action, base: string): unknown {
  return {
    id: action.id,
    deployment: {
      download: 'forced',
      update: 'forced',
      chunks: action.modules.map((module) => ({
        part: module.part,
        version: module.version,
        name: module.name,
        artifacts: module.artifacts.map((a) => {
          const href = `${base}/softwaremodules/${module.id}/artifacts/${encodeURIComponent(a.filename)}`;
          return {
            filename: a.filename,
            hashes: { sha1: a.sha1, md5: a.md5, sha256: a.sha256 },
            size: a.size,
            _links: { 'download-http': { href }, 'md5sum-http': { href: `${href}.MD5SUM` } },
          };
        }),
      })),
    },
  };
}

/** The feedback in the body, or the status hawkBit answers: 400 for a bad body, 404 for an id mismatch. */
function parseFeedback(body: string, actionId: string): DdiFeedback | number {
  const parsed = ddiActionFeedbackSchema.safeParse(parseJson(body));
  if (!parsed.success) return 400;
  const { id, status } = parsed.data;
  if (String(id) !== actionId) return 404;
  const fb: DdiFeedback = { execution: status.execution, finished: status.result.finished };
  if (status.details !== undefined) fb.details = status.details;
  const progress = status.result.progress;
  if (progress !== undefined) fb.progress = { cnt: progress.cnt, of: progress.of ?? 0 };
  return fb;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

class BodyError extends Error {
  override readonly name = 'BodyError';
  constructor(readonly status: number) {
    super(`request body refused with HTTP ${status}`);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > MAX_BODY) throw new BodyError(413);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): number {
  if (body === undefined) {
    res.writeHead(status, { 'Content-Length': 0 }).end();
  } else {
    const text = JSON.stringify(body);
    res
      .writeHead(status, {
        'Content-Type': 'application/hal+json',
        'Content-Length': Buffer.byteLength(text),
      })
      .end(text);
  }
  return status;
}

function sendBytes(res: ServerResponse, bytes: Uint8Array, type: string): number {
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': bytes.length }).end(bytes);
  return 200;
}

function hash(algorithm: 'sha1' | 'md5' | 'sha256', data: Uint8Array): string {
  return createHash(algorithm).update(data).digest('hex');
}
