/**
 * A DDI client: one controller's (or a gateway's) side of hawkBit's Direct Device Integration API —
 * poll the controller base, read a deployment or a cancel request, download an artifact with its
 * size and sha256 checked, post feedback, put configData. Pure: global fetch, AbortSignal and
 * WebCrypto only, so it runs in Node and in a browser.
 *
 * Every request is bounded: a timeout (for a download, at most that long without a byte), the
 * caller's AbortSignal, and a size limit on every answer. Credentials (TargetToken/GatewayToken
 * header, hawkbit: the DDI security filters, zephyr: subsys/mgmt/hawkbit/hawkbit.c) go only to the
 * base URL's origin: links are followed as the server gives them, and a link to another host does
 * not get the token. Shapes follow hawkBit 0.3.0M7 (hawkbit: DdiRootController).
 */
import { toHex } from '../../image/bytes.ts';
import { digest } from '../../image/digest.ts';
import { describeZodIssues, issuePath } from '../../util/zod-issues.ts';
import { authWords, DdiError, type DdiErrorKind, DdiHashError, DdiResponseError } from './errors.ts';
import {
  type DdiActionFeedbackJson,
  ddiCancelSchema,
  ddiControllerBaseSchema,
  ddiDeploymentBaseSchema,
} from './schema.ts';
import { DdiSleepError, parseSleep } from './sleep.ts';
import type {
  DdiArtifact,
  DdiAuth,
  DdiCancel,
  DdiConfigMode,
  DdiDeployment,
  DdiFeedback,
  DdiPoll,
} from './types.ts';

export type * from './types.ts';

export interface DdiClientOptions {
  /** hawkBit's address, http or https, e.g. "http://127.0.0.1:8080" (a path prefix is kept). */
  baseUrl: string;
  /** The tenant of the DDI paths; hawkBit's default tenant is "DEFAULT". */
  tenant?: string;
  auth: DdiAuth;
  /** Bound of each request in ms (for a download: the longest wait for the next bytes). Default 10 s. */
  timeoutMs?: number;
  /** The fetch to use (tests, proxies); the global one by default. */
  fetch?: typeof fetch;
}

export interface DdiDownloadOptions {
  signal?: AbortSignal;
  /** Refuse artifacts larger than this many bytes (default 64 MiB). */
  maxBytes?: number;
}

export const DDI_DEFAULT_TIMEOUT_MS = 10_000;
export const DDI_DEFAULT_MAX_DOWNLOAD = 64 * 1024 * 1024;
/** Largest JSON answer read: a deploymentBase with many chunks is a few KiB. */
const MAX_JSON_BYTES = 1024 * 1024;
/** How much of an error body goes into an error message. */
const ERROR_BODY_CHARS = 200;

type Method = 'GET' | 'POST' | 'PUT';

export class DdiClient {
  readonly baseUrl: string;
  readonly tenant: string;
  private readonly auth: DdiAuth;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly origin: string;

  constructor(options: DdiClientOptions) {
    const base = parseHttpUrl(options.baseUrl, 'the hawkBit base URL');
    if (base.search !== '' || base.hash !== '') {
      throw configError(`the hawkBit base URL ${options.baseUrl} must not have a query or a fragment`);
    }
    this.origin = base.origin;
    this.baseUrl = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
    this.tenant = options.tenant ?? 'DEFAULT';
    if (!/^[^/\s?#]+$/.test(this.tenant)) {
      throw configError(`"${this.tenant}" is not a hawkBit tenant name (no spaces, slashes, ? or #)`);
    }
    if (options.auth.kind !== 'none' && options.auth.token === '') {
      throw configError(`the ${options.auth.kind} token is empty`);
    }
    this.auth = options.auth;
    this.timeoutMs = options.timeoutMs ?? DDI_DEFAULT_TIMEOUT_MS;
    if (!(this.timeoutMs > 0) || !Number.isFinite(this.timeoutMs)) {
      throw configError(`a request timeout of ${options.timeoutMs} ms is not a positive number`);
    }
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** GET /{tenant}/controller/v1/{controllerId}: what the server wants from this controller now. */
  async poll(controllerId: string, options: { signal?: AbortSignal } = {}): Promise<DdiPoll> {
    const url = this.controllerUrl(controllerId, '');
    const json = await this.getJson(
      url,
      controllerId,
      `poll of controller "${controllerId}"`,
      options.signal,
    );
    const base = parseWith(ddiControllerBaseSchema, json, 'GET', url);
    let pollSleepMs: number;
    try {
      pollSleepMs = parseSleep(base.config.polling.sleep);
    } catch (error) {
      if (!(error instanceof DdiSleepError)) throw error;
      throw new DdiResponseError(
        `hawkBit's answer to GET ${url} is not DDI: field "config.polling.sleep": ${error.message}`,
        'config.polling.sleep',
        { method: 'GET', url, status: 200 },
        { cause: error },
      );
    }
    const links = base._links;
    const href = (name: 'deploymentBase' | 'cancelAction') => {
      const value = links?.[name]?.href;
      return value === undefined ? undefined : absoluteLink(value, `_links.${name}.href`, url);
    };
    const poll: DdiPoll = { pollSleepMs, configDataRequested: links?.configData !== undefined };
    const deploymentHref = href('deploymentBase');
    const cancelHref = href('cancelAction');
    if (deploymentHref !== undefined) poll.deploymentHref = deploymentHref;
    if (cancelHref !== undefined) poll.cancelHref = cancelHref;
    return poll;
  }

  /** GET the deploymentBase link of a poll: the update to install. */
  async deployment(href: string, options: { signal?: AbortSignal } = {}): Promise<DdiDeployment> {
    const url = parseHttpUrl(href, 'the deploymentBase link').href;
    const json = await this.getJson(url, undefined, 'reading the deployment', options.signal);
    const base = parseWith(ddiDeploymentBaseSchema, json, 'GET', url);
    const preferHttps = url.startsWith('https:');
    const chunks = base.deployment.chunks.map((chunk, c) => ({
      part: chunk.part,
      name: chunk.name,
      version: chunk.version,
      artifacts: (chunk.artifacts ?? []).map((artifact, a): DdiArtifact => {
        const links = artifact._links;
        const chosen = preferHttps
          ? (links.download ?? links['download-http'])
          : (links['download-http'] ?? links.download);
        const field = `deployment.chunks.${c}.artifacts.${a}._links`;
        if (chosen === undefined) {
          throw new DdiResponseError(
            `hawkBit's answer to GET ${url} is not DDI: field "${field}": no "download-http" or "download" link for "${artifact.filename}"`,
            field,
            { method: 'GET', url, status: 200 },
          );
        }
        const out: DdiArtifact = {
          filename: artifact.filename,
          size: artifact.size,
          sha256: artifact.hashes.sha256.toLowerCase(),
          downloadHref: absoluteLink(chosen.href, `${field}.download.href`, url),
        };
        if (artifact.hashes.sha1 !== undefined) out.sha1 = artifact.hashes.sha1.toLowerCase();
        if (artifact.hashes.md5 !== undefined) out.md5 = artifact.hashes.md5.toLowerCase();
        return out;
      }),
    }));
    const deployment: DdiDeployment = {
      actionId: String(base.id),
      download: base.deployment.download,
      update: base.deployment.update,
      chunks,
    };
    if (base.deployment.maintenanceWindow !== undefined) {
      deployment.maintenanceWindow = base.deployment.maintenanceWindow;
    }
    return deployment;
  }

  /** GET the cancelAction link of a poll: which action to stop. */
  async cancelAction(href: string, options: { signal?: AbortSignal } = {}): Promise<DdiCancel> {
    const url = parseHttpUrl(href, 'the cancelAction link').href;
    const json = await this.getJson(url, undefined, 'reading the cancel request', options.signal);
    const cancel = parseWith(ddiCancelSchema, json, 'GET', url);
    return { actionId: String(cancel.id), stopId: String(cancel.cancelAction.stopId) };
  }

  /**
   * Downloads an artifact from its link, as given, and returns its bytes only when their size and
   * sha256 are the ones hawkBit announced (else DdiHashError, and the bytes are dropped). The
   * timeout bounds each wait for more bytes, not the whole transfer.
   */
  async download(artifact: DdiArtifact, options: DdiDownloadOptions = {}): Promise<Uint8Array> {
    const maxBytes = options.maxBytes ?? DDI_DEFAULT_MAX_DOWNLOAD;
    const url = parseHttpUrl(artifact.downloadHref, `the download link of "${artifact.filename}"`).href;
    if (artifact.size > maxBytes) {
      throw new DdiError(
        `"${artifact.filename}" is ${artifact.size} bytes, over the ${maxBytes}-byte download limit: nothing was downloaded`,
        { kind: 'too-large', method: 'GET', url },
      );
    }
    const what = `downloading "${artifact.filename}"`;
    const scope = new RequestScope(this.timeoutMs, options.signal);
    try {
      const response = await this.send(scope, 'GET', url, undefined, undefined, what);
      // A Content-Length that differs says so before any byte (unless the body is encoded).
      const declared = response.headers.get('content-length');
      const encoding = response.headers.get('content-encoding') ?? 'identity';
      if (declared !== null && encoding === 'identity' && Number(declared) !== artifact.size) {
        await response.body?.cancel().catch(() => {});
        throw sizeMismatch(artifact, url, declared, `a Content-Length of ${declared}`);
      }
      // One byte over the announced size is enough to know the download is wrong.
      const bytes = await readBounded(response, artifact.size + 1, scope, 'GET', url, what);
      if (bytes.length > artifact.size) {
        throw sizeMismatch(artifact, url, `>${artifact.size}`, `more than ${artifact.size} bytes`);
      }
      if (bytes.length < artifact.size) {
        throw sizeMismatch(artifact, url, String(bytes.length), `only ${bytes.length} bytes`);
      }
      const actual = toHex(await digest('sha256', bytes));
      if (actual !== artifact.sha256) {
        throw new DdiHashError(
          `"${artifact.filename}" downloaded from ${url} is corrupt: its sha256 is ${actual}, hawkBit announced ${artifact.sha256}; the bytes were dropped`,
          artifact.filename,
          'sha256',
          artifact.sha256,
          actual,
          { method: 'GET', url, status: response.status },
        );
      }
      return bytes;
    } finally {
      scope.close();
    }
  }

  /** POST …/deploymentBase/{actionId}/feedback: progress or the outcome of an update. */
  async feedback(
    controllerId: string,
    actionId: string,
    fb: DdiFeedback,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const url = this.controllerUrl(
      controllerId,
      `/deploymentBase/${encodePart(actionId, 'action id')}/feedback`,
    );
    await this.sendJson(
      'POST',
      url,
      controllerId,
      feedbackJson(actionId, fb),
      `feedback on action ${actionId}`,
      options,
    );
  }

  /** POST …/cancelAction/{actionId}/feedback: the answer to a cancel request (closed/success = cancelled). */
  async cancelFeedback(
    controllerId: string,
    actionId: string,
    fb: DdiFeedback,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const url = this.controllerUrl(
      controllerId,
      `/cancelAction/${encodePart(actionId, 'action id')}/feedback`,
    );
    await this.sendJson(
      'POST',
      url,
      controllerId,
      feedbackJson(actionId, fb),
      `cancel feedback on action ${actionId}`,
      options,
    );
  }

  /** PUT …/configData: the controller's attributes (hawkBit shows them on the target). */
  async configData(
    controllerId: string,
    data: Record<string, string>,
    mode: DdiConfigMode = 'merge',
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    if (Object.keys(data).length === 0) {
      throw configError('configData needs at least one attribute (hawkBit refuses an empty map)');
    }
    const url = this.controllerUrl(controllerId, '/configData');
    await this.sendJson('PUT', url, controllerId, { mode, data }, `configData of "${controllerId}"`, options);
  }

  private controllerUrl(controllerId: string, rest: string): string {
    return `${this.baseUrl}/${encodeURIComponent(this.tenant)}/controller/v1/${encodePart(controllerId, 'controller id')}${rest}`;
  }

  private async getJson(
    url: string,
    controllerId: string | undefined,
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const scope = new RequestScope(this.timeoutMs, signal);
    try {
      const response = await this.send(scope, 'GET', url, undefined, controllerId, what);
      const bytes = await readBounded(response, MAX_JSON_BYTES, scope, 'GET', url, what);
      const text = new TextDecoder().decode(bytes);
      try {
        return JSON.parse(text);
      } catch (error) {
        throw new DdiResponseError(
          `hawkBit's answer to GET ${url} is not JSON (${(error as Error).message}): ${preview(text)}`,
          '',
          { method: 'GET', url, status: response.status },
          { cause: error },
        );
      }
    } finally {
      scope.close();
    }
  }

  private async sendJson(
    method: Method,
    url: string,
    controllerId: string,
    body: unknown,
    what: string,
    options: { signal?: AbortSignal },
  ): Promise<void> {
    const scope = new RequestScope(this.timeoutMs, options.signal);
    try {
      const response = await this.send(scope, method, url, JSON.stringify(body), controllerId, what);
      // hawkBit answers 200 with an empty body; read what there is so the connection is reused.
      await readBounded(response, MAX_JSON_BYTES, scope, method, url, what);
    } finally {
      scope.close();
    }
  }

  /** One request: headers, the scope's bounds, and an error in words for anything but 2xx. */
  private async send(
    scope: RequestScope,
    method: Method,
    url: string,
    body: string | undefined,
    controllerId: string | undefined,
    what: string,
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/hal+json, application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const sameOrigin = new URL(url).origin === this.origin;
    if (sameOrigin && this.auth.kind !== 'none') {
      headers.Authorization = `${this.auth.kind === 'target' ? 'TargetToken' : 'GatewayToken'} ${this.auth.token}`;
    }
    let response: Response;
    try {
      const init: RequestInit = { method, headers, signal: scope.signal, redirect: 'follow' };
      if (body !== undefined) init.body = body;
      response = await this.fetchFn(url, init);
    } catch (error) {
      throw scope.failure(error, method, url, what);
    }
    if (response.ok) return response;
    let text = '';
    try {
      text = new TextDecoder().decode(await readBounded(response, 4096, scope, method, url, what));
    } catch {
      // The status says enough; the body was only for the message.
    }
    throw httpError(response.status, method, url, what, text, this.auth, controllerId, sameOrigin);
  }
}

/** hawkBit 0.3.0M7's DdiActionFeedback: `id` is a Java Long, so a numeric id goes as a number. */
function feedbackJson(actionId: string, fb: DdiFeedback): DdiActionFeedbackJson {
  const result: DdiActionFeedbackJson['status']['result'] = { finished: fb.finished };
  if (fb.progress !== undefined) {
    const { cnt, of } = fb.progress;
    if (!Number.isInteger(cnt) || !Number.isInteger(of) || cnt < 0 || of < 0) {
      throw configError(`feedback progress ${cnt} of ${of} is not two whole numbers ≥ 0`);
    }
    result.progress = { cnt, of };
  }
  const numeric = /^\d+$/.test(actionId) && Number.isSafeInteger(Number(actionId));
  return {
    id: numeric ? Number(actionId) : actionId,
    status: { execution: fb.execution, result, details: fb.details ?? [] },
  };
}

/**
 * The bounds of one request: the timeout (re-armed by `touch` while bytes arrive) and the
 * caller's signal, as one AbortSignal for fetch and the body reads.
 */
class RequestScope {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timedOut = false;
  private readonly onAbort = () => this.controller.abort();

  constructor(
    private readonly timeoutMs: number,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    if (callerSignal?.aborted) this.controller.abort();
    else callerSignal?.addEventListener('abort', this.onAbort, { once: true });
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Bytes arrived: the timeout counts again from now. */
  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, this.timeoutMs);
  }

  close(): void {
    clearTimeout(this.timer);
    this.callerSignal?.removeEventListener('abort', this.onAbort);
  }

  /** The error for a failed fetch or read: timed out, aborted by the caller, or the network. */
  failure(error: unknown, method: string, url: string, what: string): DdiError {
    if (error instanceof DdiError) return error;
    const info = { method, url };
    if (this.timedOut) {
      return new DdiError(
        `${what}: hawkBit did not answer within ${this.timeoutMs} ms (${method} ${url})`,
        { ...info, kind: 'timeout' },
        { cause: error },
      );
    }
    if (this.callerSignal?.aborted) {
      return new DdiError(
        `${what} was aborted (${method} ${url})`,
        { ...info, kind: 'aborted' },
        {
          cause: this.callerSignal.reason ?? error,
        },
      );
    }
    const reason = errorReason(error);
    return new DdiError(
      `${what}: cannot reach hawkBit at ${new URL(url).origin} (${reason})`,
      { ...info, kind: 'network' },
      { cause: error },
    );
  }
}

/** Reads a body of at most `limit` bytes, re-arming the timeout on each chunk. */
async function readBounded(
  response: Response,
  limit: number,
  scope: RequestScope,
  method: string,
  url: string,
  what: string,
): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      scope.touch();
      total += value.length;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        return concat(parts, value, limit);
      }
      parts.push(value);
    }
  } catch (error) {
    throw scope.failure(error, method, url, what);
  }
  return concat(parts, undefined, total);
}

/** The parts (and the first bytes of `last`) up to `length` bytes. */
function concat(parts: readonly Uint8Array[], last: Uint8Array | undefined, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  if (last !== undefined) out.set(last.subarray(0, length - offset), offset);
  return out;
}

function sizeMismatch(artifact: DdiArtifact, url: string, actual: string, sent: string): DdiHashError {
  return new DdiHashError(
    `"${artifact.filename}" from ${url} is not the file hawkBit announced (${artifact.size} bytes): the server sent ${sent}; the bytes were dropped`,
    artifact.filename,
    'size',
    String(artifact.size),
    actual,
    { method: 'GET', url },
  );
}

function httpError(
  status: number,
  method: string,
  url: string,
  what: string,
  body: string,
  auth: DdiAuth,
  controllerId: string | undefined,
  sentCredentials: boolean,
): DdiError {
  const said = body.trim() === '' ? '' : ` It said: ${preview(body.trim(), ERROR_BODY_CHARS)}`;
  const info = { status, method, url };
  let kind: DdiErrorKind;
  let words: string;
  if (status === 401 || status === 403) {
    kind = 'auth';
    words = `hawkBit refused the credentials (HTTP ${status}): ${authWords(auth, controllerId, sentCredentials)}`;
  } else if (status === 404) {
    kind = 'not-found';
    words = `hawkBit answered 404 Not Found: check the base URL and the tenant; a controller, action or artifact it does not know (any more) also gives 404`;
  } else if (status === 410) {
    kind = 'gone';
    words = 'hawkBit answered 410 Gone: the action is closed already (finished, failed or cancelled)';
  } else if (status >= 500) {
    kind = 'server';
    words = `hawkBit failed with HTTP ${status}: a fault on the server's side, try again later`;
  } else {
    kind = 'refused';
    words = `hawkBit refused the request with HTTP ${status}`;
  }
  return new DdiError(`${what}: ${words} (${method} ${url}).${said}`, { ...info, kind });
}

function parseWith<T>(
  schema: { safeParse(json: unknown): { success: true; data: T } | { success: false; error: ZodErrorLike } },
  json: unknown,
  method: string,
  url: string,
): T {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  const field = first === undefined ? '' : issuePath(first);
  throw new DdiResponseError(
    `hawkBit's answer to ${method} ${url} is not DDI: ${describeZodIssues(parsed.error, json)}`,
    field,
    { method, url, status: 200 },
  );
}
type ZodErrorLike = Parameters<typeof describeZodIssues>[0];

/** A link from the server: it must be an absolute http(s) URL, followed as given. */
function absoluteLink(href: string, field: string, from: string): string {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DdiResponseError(
      `hawkBit's answer to GET ${from} is not DDI: field "${field}": ${JSON.stringify(preview(href))} is not an absolute http(s) URL`,
      field,
      { method: 'GET', url: from, status: 200 },
    );
  }
  return url.href;
}

function parseHttpUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw configError(`${what} "${preview(text)}" is not a URL (expected http://HOST:PORT or https://…)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError(`${what} "${preview(text)}" is not an http or https URL`);
  }
  return url;
}

function encodePart(value: string, what: string): string {
  if (value === '' || value.length > 256) {
    throw configError(`a ${what} of ${value.length} characters: hawkBit takes 1 to 256`);
  }
  return encodeURIComponent(value);
}

function configError(message: string): DdiError {
  return new DdiError(message, { kind: 'config' });
}

function errorReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici's "fetch failed" hides the socket error in its cause.
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return error.message;
}

function preview(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
