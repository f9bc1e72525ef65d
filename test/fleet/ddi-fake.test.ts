/**
 * The fake DDI server itself (test/helpers/fake-ddi.ts), spoken to with plain fetch: that it
 * answers as hawkBit 0.3.0M7 does (hawkbit: DdiRootController, JpaControllerManagement), so tests
 * built on it test against hawkBit's behaviour and not the fake's inventions.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeDdi, type FakeDdiOptions, startFakeDdi } from '../helpers/fake-ddi.ts';

const servers: FakeDdi[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function fake(options?: FakeDdiOptions): Promise<FakeDdi> {
  const ddi = await startFakeDdi(options);
  servers.push(ddi);
  return ddi;
}

const data = new TextEncoder().encode('firmware image bytes');
const dist = {
  name: 'app',
  version: '2.0.0',
  chunks: [{ part: 'bApp', name: 'app', version: '2.0.0', artifacts: [{ filename: 'app.bin', data }] }],
};
const hex = (algorithm: string, bytes: Uint8Array) => createHash(algorithm).update(bytes).digest('hex');

async function call(
  ddi: FakeDdi,
  path: string,
  init: { method?: string; body?: unknown; auth?: string } = {},
): Promise<{ status: number; json: unknown; text: string }> {
  const headers: Record<string, string> = {};
  if (init.auth !== undefined) headers.Authorization = init.auth;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path.startsWith('http') ? path : `${ddi.url}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body:
      init.body === undefined ? null : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

const feedback = (id: unknown, execution: string, finished: string) => ({
  id,
  status: { execution, result: { finished }, details: [] },
});

describe('the fake DDI server', () => {
  it('polls as hawkBit does: sleep, configData while wanted, deploymentBase with ?c=, then cancelAction', async () => {
    const ddi = await fake({ pollSleep: '00:00:02' });
    const base = `${ddi.url}/DEFAULT/controller/v1/dev-1`;
    expect((await call(ddi, '/DEFAULT/controller/v1/dev-1')).json).toEqual({
      config: { polling: { sleep: '00:00:02' } },
      _links: { configData: { href: `${base}/configData` } },
    });
    expect(ddi.targetIds()).toEqual(['dev-1']);
    const actionId = ddi.assign(['dev-1'], dist).get('dev-1');
    expect(actionId).toBe('1');
    const poll = (await call(ddi, '/DEFAULT/controller/v1/dev-1')).json as {
      _links: Record<string, { href: string }>;
    };
    expect(poll._links.deploymentBase?.href).toMatch(new RegExp(`^${base}/deploymentBase/1\\?c=-?\\d+$`));
    expect(ddi.actionStatus('1')).toBe('pending');

    const deployment = await call(ddi, poll._links.deploymentBase?.href ?? '');
    const href = `${base}/softwaremodules/1/artifacts/app.bin`;
    expect(deployment.json).toEqual({
      id: '1',
      deployment: {
        download: 'forced',
        update: 'forced',
        chunks: [
          {
            part: 'bApp',
            version: '2.0.0',
            name: 'app',
            artifacts: [
              {
                filename: 'app.bin',
                hashes: { sha1: hex('sha1', data), md5: hex('md5', data), sha256: hex('sha256', data) },
                size: data.length,
                _links: { 'download-http': { href }, 'md5sum-http': { href: `${href}.MD5SUM` } },
              },
            ],
          },
        ],
      },
    });
    expect(ddi.actionStatus('1')).toBe('running');
    expect((await call(ddi, href)).text).toBe('firmware image bytes');
    expect((await call(ddi, `${href}.MD5SUM`)).text).toBe(`${hex('md5', data)}  app.bin`);

    ddi.cancel('1');
    const cancelPoll = (await call(ddi, '/DEFAULT/controller/v1/dev-1')).json as { _links: object };
    expect(cancelPoll._links).toEqual({
      cancelAction: { href: `${base}/cancelAction/1` },
      configData: { href: `${base}/configData` },
    });
    expect((await call(ddi, `${base}/cancelAction/1`)).json).toEqual({
      id: '1',
      cancelAction: { stopId: '1' },
    });
    expect((await call(ddi, poll._links.deploymentBase?.href ?? '')).status).toBe(404);
  });

  it('refuses wrong credentials with 401 per auth kind; a gateway token registers unknown controllers', async () => {
    const targets = await fake({ auth: 'target' });
    const token = targets.addTarget('dev-1', 'secret-1');
    expect(token).toBe('secret-1');
    expect(
      (await call(targets, '/DEFAULT/controller/v1/dev-1', { auth: 'TargetToken secret-1' })).status,
    ).toBe(200);
    expect(
      (await call(targets, '/DEFAULT/controller/v1/dev-1', { auth: 'TargetToken secret-2' })).status,
    ).toBe(401);
    expect((await call(targets, '/DEFAULT/controller/v1/dev-1')).status).toBe(401);
    expect(
      (await call(targets, '/DEFAULT/controller/v1/dev-9', { auth: 'TargetToken secret-1' })).status,
    ).toBe(401);
    expect(
      (await call(targets, '/DEFAULT/controller/v1/dev-1', { auth: `GatewayToken ${targets.gatewayToken}` }))
        .status,
    ).toBe(401);
    expect(targets.targetIds()).toEqual(['dev-1']);

    const gateway = await fake({ auth: 'gateway', gatewayToken: 'gw' });
    expect((await call(gateway, '/DEFAULT/controller/v1/sim-1', { auth: 'GatewayToken gw' })).status).toBe(
      200,
    );
    expect((await call(gateway, '/DEFAULT/controller/v1/sim-2', { auth: 'GatewayToken other' })).status).toBe(
      401,
    );
    expect((await call(gateway, '/DEFAULT/controller/v1/sim-2')).status).toBe(401);
    expect(gateway.targetIds()).toEqual(['sim-1']);

    const both = await fake({ auth: ['target', 'gateway'], gatewayToken: 'gw' });
    const t = both.addTarget('dev-1');
    expect((await call(both, '/DEFAULT/controller/v1/dev-1', { auth: `TargetToken ${t}` })).status).toBe(200);
    expect((await call(both, '/DEFAULT/controller/v1/dev-1', { auth: 'GatewayToken gw' })).status).toBe(200);
    expect((await call(both, '/DEFAULT/controller/v1/dev-1')).status).toBe(401);
  });

  it('moves actions on feedback as hawkBit does, and refuses feedback hawkBit refuses', async () => {
    const ddi = await fake();
    const ids = ddi.assign(['a', 'b', 'c', 'd'], dist);
    const post = (cid: string, path: string, body: unknown) =>
      call(ddi, `/DEFAULT/controller/v1/${cid}/${path}`, { method: 'POST', body });
    const a = ids.get('a') ?? '';
    expect(
      (await post('a', `deploymentBase/${a}/feedback`, feedback(Number(a), 'proceeding', 'none'))).status,
    ).toBe(200);
    expect(ddi.actionStatus(a)).toBe('running');
    // The id in the body must be the path's (else 404), the body must be DDI (else 400).
    expect((await post('a', `deploymentBase/${a}/feedback`, feedback(999, 'closed', 'success'))).status).toBe(
      404,
    );
    expect((await post('a', `deploymentBase/${a}/feedback`, feedback(a, 'finished', 'success'))).status).toBe(
      400,
    );
    expect((await post('a', `deploymentBase/${a}/feedback`, 'not json')).status).toBe(400);
    // Another controller's action is not found.
    expect((await post('b', `deploymentBase/${a}/feedback`, feedback(a, 'closed', 'success'))).status).toBe(
      404,
    );
    // "canceled" on the deployment is recorded but moves nothing (hawkBit: default branch).
    expect((await post('a', `deploymentBase/${a}/feedback`, feedback(a, 'canceled', 'none'))).status).toBe(
      200,
    );
    expect(ddi.actionStatus(a)).toBe('running');
    expect((await post('a', `deploymentBase/${a}/feedback`, feedback(a, 'closed', 'none'))).status).toBe(200);
    expect(ddi.actionStatus(a)).toBe('finished');
    expect((await post('a', `deploymentBase/${a}/feedback`, feedback(a, 'proceeding', 'none'))).status).toBe(
      410,
    );
    expect(ddi.feedback(a).map((f) => `${f.execution}/${f.finished}`)).toEqual([
      'proceeding/none',
      'canceled/none',
      'closed/none',
    ]);

    const b = ids.get('b') ?? '';
    await post('b', `deploymentBase/${b}/feedback`, feedback(b, 'closed', 'failure'));
    expect(ddi.actionStatus(b)).toBe('error');

    // Cancel feedback: only while cancelling (405), rejected → running, canceled → a warning only.
    const c = ids.get('c') ?? '';
    expect((await post('c', `cancelAction/${c}/feedback`, feedback(c, 'closed', 'success'))).status).toBe(
      405,
    );
    ddi.cancel(c);
    expect(ddi.actionStatus(c)).toBe('canceling');
    expect((await post('c', `cancelAction/${c}/feedback`, feedback(c, 'canceled', 'none'))).status).toBe(200);
    expect(ddi.actionStatus(c)).toBe('canceling');
    expect((await post('c', `cancelAction/${c}/feedback`, feedback(c, 'rejected', 'none'))).status).toBe(200);
    expect(ddi.actionStatus(c)).toBe('running');
    ddi.cancel(c);
    expect((await post('c', `cancelAction/${c}/feedback`, feedback(c, 'closed', 'failure'))).status).toBe(
      200,
    );
    expect(ddi.actionStatus(c)).toBe('running');
    ddi.cancel(c);
    expect((await post('c', `cancelAction/${c}/feedback`, feedback(c, 'closed', 'success'))).status).toBe(
      200,
    );
    expect(ddi.actionStatus(c)).toBe('canceled');
    expect(ddi.cancelFeedback(c)).toHaveLength(4);
    expect(ddi.feedback(c)).toEqual([]);
    expect(() => ddi.cancel(c)).toThrow('action 3 is canceled: only an active action can be cancelled');

    // A second assignment supersedes the open one: the old one is cancelled first, as hawkBit does.
    const d1 = ids.get('d') ?? '';
    const d2 = ddi.assign(['d'], dist).get('d') ?? '';
    expect(ddi.actionStatus(d1)).toBe('canceling');
    const poll = (await call(ddi, '/DEFAULT/controller/v1/d')).json as {
      _links: Record<string, { href: string }>;
    };
    expect(poll._links.cancelAction?.href).toMatch(new RegExp(`/cancelAction/${d1}$`));
    await post('d', `cancelAction/${d1}/feedback`, feedback(d1, 'closed', 'success'));
    const next = (await call(ddi, '/DEFAULT/controller/v1/d')).json as {
      _links: Record<string, { href: string }>;
    };
    expect(next._links.deploymentBase?.href).toMatch(new RegExp(`/deploymentBase/${d2}\\?c=`));
  });

  it('stores configData (merge, replace, remove) and asks again after a finished update', async () => {
    const ddi = await fake();
    const put = (body: unknown) => call(ddi, '/DEFAULT/controller/v1/x/configData', { method: 'PUT', body });
    await call(ddi, '/DEFAULT/controller/v1/x');
    expect((await put({ mode: 'merge', data: { VIN: 'x', hwRevision: '3' } })).status).toBe(200);
    expect((await put({ data: { board: 'nrf52840dk' } })).status).toBe(200);
    expect(ddi.configData('x')).toEqual({ VIN: 'x', hwRevision: '3', board: 'nrf52840dk' });
    expect((await put({ mode: 'remove', data: { hwRevision: '' } })).status).toBe(200);
    expect(ddi.configData('x')).toEqual({ VIN: 'x', board: 'nrf52840dk' });
    expect((await put({ mode: 'replace', data: { VIN: 'y' } })).status).toBe(200);
    expect(ddi.configData('x')).toEqual({ VIN: 'y' });
    expect((await put({ mode: 'merge', data: {} })).status).toBe(400);
    expect((await call(ddi, '/DEFAULT/controller/v1/x')).json).toEqual({
      config: { polling: { sleep: '00:05:00' } },
      _links: {},
    });
    const id = ddi.assign(['x'], dist).get('x') ?? '';
    await call(ddi, `/DEFAULT/controller/v1/x/deploymentBase/${id}/feedback`, {
      method: 'POST',
      body: feedback(id, 'closed', 'success'),
    });
    expect((await call(ddi, '/DEFAULT/controller/v1/x')).json).toMatchObject({ _links: { configData: {} } });
  });

  it('serves artifacts only to controllers with an action for them, and bad bytes when told to', async () => {
    const ddi = await fake();
    const bad = new TextEncoder().encode('tampered image bytes');
    ddi.assign(['a'], {
      ...dist,
      chunks: [{ ...dist.chunks[0]!, artifacts: [{ filename: 'app.bin', data, serveData: bad }] }],
    });
    ddi.addTarget('b');
    expect((await call(ddi, '/DEFAULT/controller/v1/a/softwaremodules/1/artifacts/app.bin')).text).toBe(
      'tampered image bytes',
    );
    expect((await call(ddi, '/DEFAULT/controller/v1/b/softwaremodules/1/artifacts/app.bin')).status).toBe(
      404,
    );
    expect((await call(ddi, '/DEFAULT/controller/v1/a/softwaremodules/1/artifacts/other.bin')).status).toBe(
      404,
    );
    expect(
      (await call(ddi, '/DEFAULT/controller/v1/nobody/softwaremodules/1/artifacts/app.bin')).status,
    ).toBe(404);
    expect((await call(ddi, '/OTHER/controller/v1/a')).status).toBe(404);
  });

  it('logs each request with its controller and status, and injects failures when asked', async () => {
    const ddi = await fake();
    const t0 = Date.now();
    ddi.failNext(2, 502);
    expect((await call(ddi, '/DEFAULT/controller/v1/a')).status).toBe(502);
    expect((await call(ddi, '/DEFAULT/controller/v1/a')).status).toBe(502);
    expect((await call(ddi, '/DEFAULT/controller/v1/a%20b')).status).toBe(200);
    expect((await call(ddi, '/nowhere?x=1')).status).toBe(404);
    expect(ddi.targetIds()).toEqual(['a b']);
    const log = ddi.requests();
    expect(log.map(({ at, ...rest }) => rest)).toEqual([
      { method: 'GET', path: '/DEFAULT/controller/v1/a', controllerId: 'a', status: 502 },
      { method: 'GET', path: '/DEFAULT/controller/v1/a', controllerId: 'a', status: 502 },
      { method: 'GET', path: '/DEFAULT/controller/v1/a%20b', controllerId: 'a b', status: 200 },
      { method: 'GET', path: '/nowhere', status: 404 },
    ]);
    for (const entry of log) expect(entry.at).toBeGreaterThanOrEqual(t0);
  });

  it('refuses a bad poll interval at start, and closes with keep-alive connections open', async () => {
    await expect(startFakeDdi({ pollSleep: '5m' })).rejects.toThrow('"5m" is not a hawkBit poll interval');
    const ddi = await startFakeDdi();
    await call(ddi, '/DEFAULT/controller/v1/a'); // leaves an idle keep-alive socket in fetch's pool
    await ddi.close();
    await expect(fetch(`${ddi.url}/DEFAULT/controller/v1/a`)).rejects.toThrow();
  });
});
