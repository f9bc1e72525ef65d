/**
 * DdiClient against the fake DDI server (test/helpers/fake-ddi.ts) over real sockets: the whole
 * exchange of a controller, each auth kind, and every way a server can let it down — wrong token,
 * answers that are not DDI, corrupt downloads, silence, a caller who gives up.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type DdiArtifact, DdiClient, type DdiClientOptions } from '../../src/fleet/ddi/client.ts';
import { DdiError, DdiHashError, DdiResponseError } from '../../src/fleet/ddi/errors.ts';
import { type FakeDdi, type FakeDdiOptions, startFakeDdi } from '../helpers/fake-ddi.ts';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function fake(options?: FakeDdiOptions): Promise<FakeDdi> {
  const ddi = await startFakeDdi(options);
  closers.push(() => ddi.close());
  return ddi;
}

/** A bare HTTP server answering each request with `answer` (for what the fake never does). */
async function rawServer(
  answer: (res: ServerResponse, path: string, req: IncomingMessage) => void,
): Promise<string> {
  const server: Server = createServer((req, res) => answer(res, req.url ?? '/', req));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failure(work: Promise<unknown>): Promise<DdiError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DdiError)) throw new Error(`expected a DdiError, got ${String(error)}`);
  return error;
}

const image = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff);
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

function dist(data = image, serveData?: Uint8Array) {
  const artifact =
    serveData === undefined ? { filename: 'app.bin', data } : { filename: 'app.bin', data, serveData };
  return {
    name: 'app',
    version: '1.1.0',
    chunks: [{ part: 'bApp', name: 'app', version: '1.1.0', artifacts: [artifact] }],
  };
}

function client(ddi: FakeDdi | string, options: Partial<DdiClientOptions> = {}): DdiClient {
  return new DdiClient({
    baseUrl: typeof ddi === 'string' ? ddi : ddi.url,
    auth: { kind: 'none' },
    timeoutMs: 2000,
    ...options,
  });
}

describe('DdiClient against the fake DDI server', () => {
  it('runs a whole update as a controller: poll, deployment, download, feedback, configData', async () => {
    const ddi = await fake({ pollSleep: '00:00:07' });
    const c = client(ddi);
    expect(await c.poll('dev-1')).toEqual({ pollSleepMs: 7000, configDataRequested: true });
    await c.configData('dev-1', { VIN: 'dev-1', hwRevision: '3' });
    expect(ddi.configData('dev-1')).toEqual({ VIN: 'dev-1', hwRevision: '3' });

    const actionId = ddi.assign(['dev-1'], dist()).get('dev-1') ?? '';
    const poll = await c.poll('dev-1');
    expect(poll.configDataRequested).toBe(false);
    expect(poll.deploymentHref).toMatch(
      new RegExp(`^${ddi.url}/DEFAULT/controller/v1/dev-1/deploymentBase/${actionId}\\?c=-?\\d+$`),
    );
    const deployment = await c.deployment(poll.deploymentHref ?? '');
    expect(deployment).toMatchObject({ actionId, download: 'forced', update: 'forced' });
    expect(deployment.chunks).toHaveLength(1);
    const artifact = deployment.chunks[0]?.artifacts[0] as DdiArtifact;
    expect(artifact).toMatchObject({ filename: 'app.bin', size: image.length, sha256: sha256(image) });
    expect(artifact.downloadHref).toMatch(
      /\/DEFAULT\/controller\/v1\/dev-1\/softwaremodules\/\d+\/artifacts\/app\.bin$/,
    );
    expect(ddi.actionStatus(actionId)).toBe('running');

    expect(await c.download(artifact)).toEqual(image);
    await c.feedback('dev-1', actionId, {
      execution: 'proceeding',
      finished: 'none',
      details: ['uploading over udp'],
      progress: { cnt: 1, of: 2 },
    });
    await c.feedback('dev-1', actionId, { execution: 'closed', finished: 'success' });
    expect(ddi.feedback(actionId)).toEqual([
      {
        execution: 'proceeding',
        finished: 'none',
        details: ['uploading over udp'],
        progress: { cnt: 1, of: 2 },
      },
      { execution: 'closed', finished: 'success', details: [] },
    ]);
    expect(ddi.actionStatus(actionId)).toBe('finished');
    // Closed: no more deployment, hawkBit asks for the attributes again, late feedback is refused.
    expect(await c.poll('dev-1')).toEqual({ pollSleepMs: 7000, configDataRequested: true });
    const late = await failure(c.feedback('dev-1', actionId, { execution: 'closed', finished: 'success' }));
    expect(late).toMatchObject({ kind: 'gone', status: 410 });
    expect(late.message).toContain('the action is closed already');
  });

  it('answers a cancel: cancelAction link, the action to stop, closed/success cancels it', async () => {
    const ddi = await fake();
    const c = client(ddi);
    const actionId = ddi.assign(['dev-2'], dist()).get('dev-2') ?? '';
    ddi.cancel(actionId);
    const poll = await c.poll('dev-2');
    expect(poll.deploymentHref).toBeUndefined();
    expect(poll.cancelHref).toBe(`${ddi.url}/DEFAULT/controller/v1/dev-2/cancelAction/${actionId}`);
    expect(await c.cancelAction(poll.cancelHref ?? '')).toEqual({ actionId, stopId: actionId });
    await c.cancelFeedback('dev-2', actionId, { execution: 'closed', finished: 'success' });
    expect(ddi.actionStatus(actionId)).toBe('canceled');
    expect(ddi.cancelFeedback(actionId)).toEqual([{ execution: 'closed', finished: 'success', details: [] }]);
    expect((await c.poll('dev-2')).cancelHref).toBeUndefined();
  });

  it('sends each auth kind as hawkBit wants it, and says which credentials were refused', async () => {
    const targets = await fake({ auth: 'target' });
    const token = targets.addTarget('dev-3');
    expect((await client(targets, { auth: { kind: 'target', token } }).poll('dev-3')).pollSleepMs).toBe(
      300_000,
    );
    const wrong = await failure(client(targets, { auth: { kind: 'target', token: 'nope' } }).poll('dev-3'));
    expect(wrong).toMatchObject({ name: 'DdiError', kind: 'auth', status: 401, fault: 'local' });
    expect(wrong.message).toBe(
      `poll of controller "dev-3": hawkBit refused the credentials (HTTP 401): its target token was not accepted for controller "dev-3": check the target's security token in hawkBit, and that target-token authentication is enabled (GET ${targets.url}/DEFAULT/controller/v1/dev-3).`,
    );
    const none = await failure(client(targets).poll('dev-3'));
    expect(none.message).toContain(
      'no credentials were sent: the server wants a target token or a gateway token',
    );

    const gateway = await fake({ auth: 'gateway', gatewayToken: 'gw-secret' });
    const gw = client(gateway, { auth: { kind: 'gateway', token: 'gw-secret' } });
    await gw.poll('board-a');
    expect(gateway.targetIds()).toEqual(['board-a']);
    const refused = await failure(
      client(gateway, { auth: { kind: 'gateway', token: 'gw-other' } }).poll('board-b'),
    );
    expect(refused.kind).toBe('auth');
    expect(refused.message).toContain(
      'the gateway token was not accepted: check the system config authentication.gatewaytoken.key',
    );
    expect(gateway.targetIds()).toEqual(['board-a']);
  });

  it("sends the token only to the base URL's origin, and follows download links as given", async () => {
    const seen: string[] = [];
    const recorder = (name: string) => (res: ServerResponse, _path: string, req: IncomingMessage) => {
      seen.push(`${name}: ${req.headers.authorization ?? 'no credentials'}`);
      res.writeHead(200, { 'Content-Length': 5 }).end('hello');
    };
    const base = await rawServer(recorder('hawkBit'));
    const other = await rawServer(recorder('elsewhere'));
    const c = client(`${base}/hawkbit/`, { auth: { kind: 'target', token: 't0k' } });
    expect(c.baseUrl).toBe(`${base}/hawkbit`);
    const hello = new TextEncoder().encode('hello');
    const artifact = { filename: 'a', size: 5, sha256: sha256(hello) };
    expect(await c.download({ ...artifact, downloadHref: `${base}/x/a?sig=1` })).toEqual(hello);
    expect(await c.download({ ...artifact, downloadHref: `${other}/cdn/a` })).toEqual(hello);
    expect(seen).toEqual(['hawkBit: TargetToken t0k', 'elsewhere: no credentials']);
  });

  it('refuses a corrupt download: DdiHashError naming both sha256 and the file, no bytes', async () => {
    const ddi = await fake();
    const c = client(ddi);
    const corrupt = image.slice();
    corrupt[100] = (corrupt[100] ?? 0) ^ 0xff;
    const actionId = ddi.assign(['dev-4'], dist(image, corrupt)).get('dev-4') ?? '';
    const deployment = await c.deployment((await c.poll('dev-4')).deploymentHref ?? '');
    const artifact = deployment.chunks[0]?.artifacts[0] as DdiArtifact;
    const error = await failure(c.download(artifact));
    expect(error).toBeInstanceOf(DdiHashError);
    expect(error).toMatchObject({
      name: 'DdiHashError',
      kind: 'corrupt',
      filename: 'app.bin',
      what: 'sha256',
      expected: sha256(image),
      actual: sha256(corrupt),
    });
    expect(error.message).toBe(
      `"app.bin" downloaded from ${artifact.downloadHref} is corrupt: its sha256 is ${sha256(corrupt)}, hawkBit announced ${sha256(image)}; the bytes were dropped`,
    );
    expect(ddi.actionStatus(actionId)).toBe('running');

    // Shorter and longer files fail on their size.
    const shorter = ddi.assign(['dev-5'], dist(image, image.subarray(0, 4000))).get('dev-5');
    const short = (await c.deployment((await c.poll('dev-5')).deploymentHref ?? '')).chunks[0]?.artifacts[0];
    const sizeError = await failure(c.download(short as DdiArtifact));
    expect(sizeError).toMatchObject({ what: 'size', expected: '5000', actual: '4000' });
    expect(sizeError.message).toContain(
      'is not the file hawkBit announced (5000 bytes): the server sent a Content-Length of 4000',
    );
    expect(shorter).toBeDefined();
  });

  it('checks the size even when the server sends no Content-Length', async () => {
    const body = new Uint8Array(300).fill(1);
    const url = await rawServer((res) => {
      res.writeHead(200, { 'Transfer-Encoding': 'chunked' });
      res.write(body.subarray(0, 150));
      res.end(body.subarray(150));
    });
    const c = client(url);
    const over = await failure(
      c.download({ filename: 'f', size: 200, sha256: sha256(body), downloadHref: `${url}/f` }),
    );
    expect(over).toMatchObject({ what: 'size', actual: '>200' });
    const under = await failure(
      c.download({ filename: 'f', size: 400, sha256: sha256(body), downloadHref: `${url}/f` }),
    );
    expect(under).toMatchObject({ what: 'size', actual: '300' });
    expect(
      await c.download({ filename: 'f', size: 300, sha256: sha256(body), downloadHref: `${url}/f` }),
    ).toEqual(body);
  });

  it('refuses an artifact over maxBytes before downloading anything', async () => {
    const ddi = await fake();
    const c = client(ddi);
    ddi.assign(['dev-6'], dist());
    const artifact = (await c.deployment((await c.poll('dev-6')).deploymentHref ?? '')).chunks[0]
      ?.artifacts[0];
    const before = ddi.requests().length;
    const error = await failure(c.download(artifact as DdiArtifact, { maxBytes: 4096 }));
    expect(error).toMatchObject({ kind: 'too-large' });
    expect(error.message).toBe(
      '"app.bin" is 5000 bytes, over the 4096-byte download limit: nothing was downloaded',
    );
    expect(ddi.requests()).toHaveLength(before);
  });

  it('names the bad field when an answer is not DDI, and says when it is not JSON', async () => {
    const answers: Record<string, string> = {
      '/DEFAULT/controller/v1/a': JSON.stringify({ config: { polling: { sleep: '5 minutes' } } }),
      '/DEFAULT/controller/v1/b': JSON.stringify({ config: { polling: {} } }),
      '/DEFAULT/controller/v1/c': '<html>proxy error</html>',
      '/DEFAULT/controller/v1/d': JSON.stringify({
        config: { polling: { sleep: '00:01:00' } },
        _links: { deploymentBase: { href: '/relative/deploymentBase/1' } },
      }),
      '/dep': JSON.stringify({
        id: '1',
        deployment: {
          download: 'forced',
          update: 'forced',
          chunks: [
            {
              part: 'bApp',
              name: 'n',
              version: 'v',
              artifacts: [{ filename: 'f', hashes: { sha256: 'a'.repeat(64) }, size: 1, _links: {} }],
            },
          ],
        },
      }),
    };
    const url = await rawServer((res, path) => {
      const body = answers[path] ?? '';
      res
        .writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) })
        .end(body);
    });
    const c = client(url);
    const sleep = await failure(c.poll('a'));
    expect(sleep).toBeInstanceOf(DdiResponseError);
    expect(sleep).toMatchObject({ field: 'config.polling.sleep', kind: 'bad-response', status: 200 });
    expect(sleep.message).toBe(
      `hawkBit's answer to GET ${url}/DEFAULT/controller/v1/a is not DDI: field "config.polling.sleep": "5 minutes" is not a hawkBit poll interval: expected hours:minutes:seconds such as "00:05:00"`,
    );
    expect(await failure(c.poll('b'))).toMatchObject({ field: 'config.polling.sleep' });
    const html = await failure(c.poll('c'));
    expect(html).toMatchObject({ field: '', kind: 'bad-response' });
    expect(html.message).toMatch(/is not JSON \(.*\): <html>proxy error<\/html>$/);
    const relative = await failure(c.poll('d'));
    expect(relative).toMatchObject({ field: '_links.deploymentBase.href' });
    expect(relative.message).toContain('"/relative/deploymentBase/1" is not an absolute http(s) URL');
    const noLink = await failure(c.deployment(`${url}/dep`));
    expect(noLink).toMatchObject({ field: 'deployment.chunks.0.artifacts.0._links' });
    expect(noLink.message).toContain('no "download-http" or "download" link for "f"');
  });

  it('words 404 and 5xx answers with the status', async () => {
    const ddi = await fake();
    const c = client(ddi);
    const missing = await failure(c.deployment(`${ddi.url}/DEFAULT/controller/v1/nobody/deploymentBase/77`));
    expect(missing).toMatchObject({ kind: 'not-found', status: 404, fault: 'device' });
    ddi.failNext(1, 503);
    const down = await failure(c.poll('dev-7'));
    expect(down).toMatchObject({ kind: 'server', status: 503, fault: 'no-answer' });
    expect(down.message).toMatch(
      /^poll of controller "dev-7": hawkBit failed with HTTP 503: a fault on the server's side, try again later \(GET .*\)\. It said: \{"message":"failure injected by the test"\}$/,
    );
    expect((await c.poll('dev-7')).pollSleepMs).toBe(300_000);
  });

  it('bounds every request: a silent server times out, a stalled download too, the caller can abort', async () => {
    const url = await rawServer((res, path) => {
      if (path === '/stall') {
        res.writeHead(200, { 'Content-Length': 10 });
        res.write('12345'); // and never the rest
      }
      // anything else: never answer
    });
    const c = client(url, { timeoutMs: 150 });
    const started = Date.now();
    const silent = await failure(c.poll('x'));
    expect(silent).toMatchObject({ kind: 'timeout', fault: 'no-answer' });
    expect(silent.message).toBe(
      `poll of controller "x": hawkBit did not answer within 150 ms (GET ${url}/DEFAULT/controller/v1/x)`,
    );
    const stalled = await failure(
      c.download({ filename: 's', size: 10, sha256: 'a'.repeat(64), downloadHref: `${url}/stall` }),
    );
    expect(stalled).toMatchObject({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1500);

    const slow = client(url, { timeoutMs: 5000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user stopped')), 50);
    const aborted = await failure(
      slow.feedback('x', '1', { execution: 'proceeding', finished: 'none' }, { signal: controller.signal }),
    );
    expect(aborted).toMatchObject({ kind: 'aborted', fault: 'local' });
    expect((aborted.cause as Error).message).toBe('user stopped');
    expect(await failure(slow.poll('x', { signal: AbortSignal.abort() }))).toMatchObject({ kind: 'aborted' });
  });

  it('says when nothing listens at the base URL', async () => {
    // A port that was free a moment ago: listen, note it, close.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await failure(client(url).poll('x'));
    expect(error).toMatchObject({ kind: 'network', fault: 'no-answer' });
    expect(error.message).toMatch(
      /^poll of controller "x": cannot reach hawkBit at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED/,
    );
  });

  it('refuses unusable settings before sending anything', async () => {
    const make = (options: Partial<DdiClientOptions>) => () =>
      new DdiClient({ baseUrl: 'http://127.0.0.1:1', auth: { kind: 'none' }, ...options });
    expect(make({ baseUrl: 'ftp://host/' })).toThrow(
      'the hawkBit base URL "ftp://host/" is not an http or https URL',
    );
    expect(make({ baseUrl: 'localhost:8080' })).toThrow(/is not an http or https URL|is not a URL/);
    expect(make({ baseUrl: 'hawkbit' })).toThrow('the hawkBit base URL "hawkbit" is not a URL');
    expect(make({ baseUrl: 'http://h/?x=1' })).toThrow('must not have a query or a fragment');
    expect(make({ tenant: 'a/b' })).toThrow('"a/b" is not a hawkBit tenant name');
    expect(make({ auth: { kind: 'gateway', token: '' } })).toThrow('the gateway token is empty');
    expect(make({ timeoutMs: 0 })).toThrow('a request timeout of 0 ms is not a positive number');
    const c = make({})();
    await expect(c.deployment('/deploymentBase/1')).rejects.toMatchObject({ kind: 'config' });
    await expect(c.poll('')).rejects.toThrow('a controller id of 0 characters: hawkBit takes 1 to 256');
    await expect(c.configData('x', {})).rejects.toThrow('configData needs at least one attribute');
    await expect(
      c.feedback('x', '1', { execution: 'closed', finished: 'none', progress: { cnt: 1.5, of: 2 } }),
    ).rejects.toThrow('feedback progress 1.5 of 2 is not two whole numbers ≥ 0');
  });
});
