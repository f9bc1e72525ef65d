/**
 * The Management API client's requests and its errors in words, against a scripted fetch (the
 * real hawkBit runs in the fleet suite: test/hawkbit/server-*.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { MgmtClient } from '../../src/fleet/mgmt/client.ts';
import { MgmtError, MgmtResponseError, MgmtWaitError } from '../../src/fleet/mgmt/errors.ts';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A client whose fetch answers from `reply` and records each request. */
function scripted(
  reply: (request: Seen) => Response | Promise<Response>,
  options: { timeoutMs?: number } = {},
) {
  const seen: Seen[] = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const request: Seen = {
      method: init?.method ?? 'GET',
      url: String(input),
      headers: init?.headers as Record<string, string>,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body,
    };
    seen.push(request);
    const signal = init?.signal;
    return await Promise.race([
      reply(request),
      new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
    ]);
  }) as typeof fetch;
  const client = new MgmtClient({
    baseUrl: 'http://hawkbit.test:8080/',
    user: 'admin',
    password: 'pw',
    fetch: fetchFn,
    ...options,
  });
  return { client, seen };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('MgmtClient', () => {
  it('sends basic auth and hawkBit’s rollout body: THRESHOLD conditions, NEXTGROUP and PAUSE', async () => {
    const { client, seen } = scripted(() => json({ id: 7, name: 'r', status: 'creating' }, 201));
    const rollout = await client.createRollout({
      name: 'r',
      distributionSetId: 3,
      targetFilterQuery: 'controllerId==sim-*',
      amountGroups: 10,
      successThreshold: 50,
      errorThreshold: 30,
    });
    expect(rollout).toEqual({ id: 7, name: 'r', status: 'creating' });
    expect(seen[0]?.url).toBe('http://hawkbit.test:8080/rest/v1/rollouts');
    expect(seen[0]?.headers.Authorization).toBe(`Basic ${Buffer.from('admin:pw').toString('base64')}`);
    expect(seen[0]?.body).toEqual({
      name: 'r',
      distributionSetId: 3,
      targetFilterQuery: 'controllerId==sim-*',
      amountGroups: 10,
      type: 'forced',
      successCondition: { condition: 'THRESHOLD', expression: '50' },
      successAction: { action: 'NEXTGROUP', expression: '' },
      errorCondition: { condition: 'THRESHOLD', expression: '30' },
      errorAction: { action: 'PAUSE', expression: '' },
    });
  });

  it('refuses a rollout spec hawkBit would refuse, before asking', async () => {
    const { client, seen } = scripted(() => json({}));
    const spec = { name: 'r', distributionSetId: 1, targetFilterQuery: 'x', amountGroups: 2 };
    await expect(client.createRollout({ ...spec, amountGroups: 0 })).rejects.toThrow(
      /whole number of groups ≥ 1, got 0/,
    );
    await expect(client.createRollout({ ...spec, errorThreshold: 130 })).rejects.toThrow(
      /error threshold is a percentage 0–100, got 130/,
    );
    expect(seen).toHaveLength(0);
  });

  it('quotes hawkBit’s own message and code when it refuses', async () => {
    const { client } = scripted(() =>
      json(
        { errorCode: 'hawkbit.server.error.quota', message: 'Quota exceeded: 500 targets per group' },
        400,
      ),
    );
    const error = await client.assign(4, ['a', 'b']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MgmtError);
    expect(error).toMatchObject({ status: 400, method: 'POST', errorCode: 'hawkbit.server.error.quota' });
    expect((error as Error).message).toBe(
      'hawkBit at http://hawkbit.test:8080 refused to assign distribution set 4 to 2 target(s) ' +
        '(POST /rest/v1/distributionsets/4/assignedTargets → 400): Quota exceeded: 500 targets per group [hawkbit.server.error.quota]',
    );
  });

  it('names the field when an answer has an unexpected shape, and says so when it is not JSON', async () => {
    const { client } = scripted((r) =>
      r.url.endsWith('/rollouts/1')
        ? json({ id: 1, name: 'r', status: 7 })
        : new Response('<html>proxy</html>'),
    );
    await expect(client.getRollout(1)).rejects.toThrow(MgmtResponseError);
    await expect(client.getRollout(1)).rejects.toThrow(/unexpected shape: status: expected string/);
    await expect(client.getTarget('t')).rejects.toThrow(
      /answered GET \/rest\/v1\/targets\/t with 200 but not JSON: <html>/,
    );
  });

  it('bounds every request: a server that never answers is reported with the time it had', async () => {
    const { client } = scripted(() => new Promise<Response>(() => {}), { timeoutMs: 50 });
    await expect(client.getRollout(2)).rejects.toThrow(
      'hawkBit at http://hawkbit.test:8080 did not answer within 0.05 s when asked to read rollout 2 (GET /rest/v1/rollouts/2)',
    );
  });

  it('waits for a rollout within its bound, and gives up at once on a status it cannot leave', async () => {
    const statuses = ['creating', 'creating', 'ready'];
    const { client } = scripted(() => json({ id: 5, name: 'r', status: statuses.shift() ?? 'ready' }));
    expect((await client.waitRolloutReady(5, { intervalMs: 1 })).status).toBe('ready');

    const stuck = scripted(() =>
      json({ id: 6, name: 's', status: 'creating', totalTargetsPerStatus: { notstarted: 3 } }),
    );
    const error = await stuck.client
      .waitRolloutReady(6, { timeoutMs: 30, intervalMs: 5 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MgmtWaitError);
    expect((error as Error).message).toMatch(
      /^rollout 6 \(s\) is still creating after 0\.\d s, not ready \(targets: notstarted 3\)$/,
    );

    const failed = scripted(() => json({ id: 8, name: 'f', status: 'error_creating' }));
    await expect(failed.client.waitRolloutReady(8, { timeoutMs: 60_000 })).rejects.toThrow(
      'rollout 8 (f) is error_creating; it will not become ready',
    );
    expect(failed.seen).toHaveLength(1);
  });

  it('reads long lists page by page, and histories oldest first without hawkBit’s null messages', async () => {
    const { client, seen } = scripted((r) => {
      if (r.url.includes('/status')) {
        return json({
          content: [
            { id: 2, type: 'retrieved', messages: ['got it'] },
            { id: 1, type: 'running', messages: [null] },
          ],
          total: 2,
        });
      }
      const offset = Number(new URL(r.url).searchParams.get('offset') ?? 0);
      const page = Array.from({ length: Math.min(500, 1200 - offset) }, (_, i) => ({
        controllerId: `sim-${offset + i}`,
        name: `sim-${offset + i}`,
      }));
      return json({ content: page, total: 1200, size: page.length });
    });
    const all = await client.allTargets('controllerId==sim-*');
    expect(all).toHaveLength(1200);
    expect(all[1199]?.controllerId).toBe('sim-1199');
    expect(seen.map((s) => new URL(s.url).search)).toEqual([
      '?q=controllerId%3D%3Dsim-*&limit=500&offset=0',
      '?q=controllerId%3D%3Dsim-*&limit=500&offset=500',
      '?q=controllerId%3D%3Dsim-*&limit=500&offset=1000',
    ]);
    expect(await client.actionStatus('sim-1', 9)).toEqual([
      { id: 1, type: 'running', messages: [] },
      { id: 2, type: 'retrieved', messages: ['got it'] },
    ]);
  });
});
