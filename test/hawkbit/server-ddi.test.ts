/**
 * The real hawkBit of the fleet suite, end to end through zdfu's Management API client and plain
 * DDI calls: what a gateway or a Zephyr board meets (assignment → deploymentBase → download →
 * feedback; tokens; cancel; configData), and the client's errors in words.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MgmtClient } from '../../src/fleet/mgmt/client.ts';
import { MgmtError } from '../../src/fleet/mgmt/errors.ts';
import { type HawkbitServer, startHawkbit } from './support/hawkbit.ts';
import { actionIdOf, controllerUrl, download, feedback, getJson, poll } from './support/plain-ddi.ts';

interface DeploymentBase {
  id: string;
  deployment: {
    download: string;
    update: string;
    chunks: Array<{
      part: string;
      name: string;
      version: string;
      artifacts: Array<{
        filename: string;
        size: number;
        hashes: { sha1: string; md5: string; sha256: string };
        _links: { 'download-http': { href: string } };
      }>;
    }>;
  };
}

let hb: HawkbitServer;
const run = randomBytes(3).toString('hex');

beforeAll(async () => {
  hb = await startHawkbit();
});
afterAll(async () => {
  await hb?.stop();
});

/** A module with one artifact in a distribution set: what one firmware release is in hawkBit. */
async function release(name: string, data: Uint8Array) {
  const module = await hb.mgmt.createSoftwareModule({ name, version: '1.0.1', vendor: 'zdfu tests' });
  const artifact = await hb.mgmt.uploadArtifact(module.id, { filename: `${name}.signed.bin`, data });
  const set = await hb.mgmt.createDistributionSet({ name, version: '1.0.1', moduleIds: [module.id] });
  return { module, artifact, set };
}

describe('hawkBit server (DDI + Management API)', () => {
  it('delivers an assigned release to a target with its token, byte for byte, and closes the action on its feedback', async () => {
    const data = new Uint8Array(randomBytes(5000));
    const { artifact, set } = await release(`smoke-${run}`, data);
    const sha256 = createHash('sha256').update(data).digest('hex');
    expect(artifact.size).toBe(data.length);
    expect(artifact.hashes.sha256).toBe(sha256);

    const id = `smoke-${run}-1`;
    const auth = { targetToken: `token-${run}` };
    const target = await hb.mgmt.createTarget({ controllerId: id, securityToken: auth.targetToken });
    expect(target.securityToken).toBe(auth.targetToken);
    const assigned = await hb.mgmt.assign(set.id, [id]);
    expect(assigned).toMatchObject({ assigned: 1, alreadyAssigned: 0, total: 1 });
    const actionId = assigned.assignedActions?.[0]?.id;
    expect(actionId).toBeTypeOf('number');

    const first = await poll(hb, id, auth);
    expect(first.status).toBe(200);
    expect(first.body.config?.polling?.sleep).toBe('00:00:01');
    const href = first.body._links?.deploymentBase?.href;
    expect(href).toContain(`${controllerUrl(hb, id)}/deploymentBase/${actionId}`);
    if (!href) return;

    const base = await getJson<DeploymentBase>(href, auth);
    expect(base.id).toBe(String(actionId));
    expect(base.deployment).toMatchObject({ download: 'forced', update: 'forced' });
    expect(base.deployment.chunks).toHaveLength(1);
    const chunk = base.deployment.chunks[0];
    expect(chunk?.part).toBe('bApp');
    expect(chunk?.artifacts).toHaveLength(1);
    const offered = chunk?.artifacts[0];
    expect(offered).toMatchObject({ filename: `smoke-${run}.signed.bin`, size: data.length });
    expect(offered?.hashes.sha256).toBe(sha256);
    // Zephyr's client accepts only a download link under the DEFAULT tenant's controller path.
    expect(offered?._links['download-http'].href).toContain('/DEFAULT/controller/v1/');

    const bytes = await download(offered?._links['download-http'].href ?? '', auth);
    expect(Buffer.from(bytes).equals(Buffer.from(data))).toBe(true);

    const status = await feedback(hb, id, 'deploymentBase', String(actionId), auth, {
      execution: 'closed',
      finished: 'success',
      details: ['zdfu smoke: image confirmed'],
    });
    expect(status).toBe(200);

    const action = await hb.mgmt.action(id, actionId ?? 0);
    expect(action.status).toBe('finished');
    const history = await hb.mgmt.actionStatus(id, actionId ?? 0);
    // hawkBit adds `download` itself when the artifact is fetched through DDI.
    expect(history.map((s) => s.type)).toEqual(['running', 'retrieved', 'download', 'finished']);
    expect(history.at(-1)?.messages).toContain('zdfu smoke: image confirmed');
    expect((await hb.mgmt.getTarget(id)).updateStatus).toBe('in_sync');
    expect((await poll(hb, id, auth)).body._links?.deploymentBase).toBeUndefined();
  });

  it('refuses a wrong target token, a wrong gateway token and no token with 401; the gateway token serves any controller', async () => {
    const id = `smoke-${run}-2`;
    await hb.mgmt.createTarget({ controllerId: id, securityToken: `right-${run}` });
    expect((await poll(hb, id, { targetToken: `wrong-${run}` })).status).toBe(401);
    expect((await poll(hb, id, { gatewayToken: `wrong-${run}` })).status).toBe(401);
    expect((await poll(hb, id, 'none')).status).toBe(401);
    // Another target's token is no key to this one.
    const other = `smoke-${run}-3`;
    await hb.mgmt.createTarget({ controllerId: other, securityToken: `other-${run}` });
    expect((await poll(hb, id, { targetToken: `other-${run}` })).status).toBe(401);

    expect((await poll(hb, id, { targetToken: `right-${run}` })).status).toBe(200);
    expect((await poll(hb, id, { gatewayToken: hb.gatewayToken })).status).toBe(200);
    // An unknown controller polling with the gateway token is registered on the spot.
    const fresh = `smoke-${run}-new`;
    expect((await poll(hb, fresh, { gatewayToken: hb.gatewayToken })).status).toBe(200);
    expect((await hb.mgmt.getTarget(fresh)).updateStatus).toBe('registered');
  });

  it('offers cancelAction for a cancelled assignment and ends it on the closed feedback; configData lands in the attributes', async () => {
    const { set } = await release(`cancel-${run}`, new Uint8Array(randomBytes(300)));
    const id = `smoke-${run}-cancel`;
    const auth = { gatewayToken: hb.gatewayToken };
    await hb.mgmt.createTarget({ controllerId: id });
    const actionId = (await hb.mgmt.assign(set.id, [id])).assignedActions?.[0]?.id ?? 0;

    const configHref = (await poll(hb, id, auth)).body._links?.configData?.href;
    expect(configHref).toBe(`${controllerUrl(hb, id)}/configData`);
    const put = await fetch(configHref ?? '', {
      method: 'PUT',
      headers: { Authorization: `GatewayToken ${hb.gatewayToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ mode: 'merge', data: { VIN: id, hwRevision: '3' } }),
    });
    expect(put.status).toBe(200);
    expect(await hb.mgmt.targetAttributes(id)).toEqual({ VIN: id, hwRevision: '3' });

    await hb.mgmt.cancelAction(id, actionId);
    const polled = await poll(hb, id, auth);
    expect(polled.body._links?.deploymentBase).toBeUndefined();
    const cancelHref = polled.body._links?.cancelAction?.href ?? '';
    expect(actionIdOf(cancelHref)).toBe(String(actionId));
    const cancel = await getJson<{ id: string; cancelAction: { stopId: string } }>(cancelHref, auth);
    expect(cancel.cancelAction.stopId).toBe(String(actionId));
    expect((await hb.mgmt.action(id, actionId)).status).toBe('pending');

    // Zephyr answers a cancel with closed/success (zephyr: subsys/mgmt/hawkbit/hawkbit.c).
    const status = await feedback(hb, id, 'cancelAction', String(actionId), auth, {
      execution: 'closed',
      finished: 'success',
    });
    expect(status).toBe(200);
    expect((await hb.mgmt.action(id, actionId)).status).toBe('finished');
    expect((await hb.mgmt.actionStatus(id, actionId)).map((s) => s.type)).toContain('canceled');
    expect((await poll(hb, id, auth)).body._links?.cancelAction).toBeUndefined();
  });

  it('explains refusals in words: wrong password, unknown target, duplicate, unreachable server', async () => {
    const wrong = new MgmtClient({ baseUrl: hb.url, user: hb.user, password: 'not-the-password' });
    await expect(wrong.getTarget('x')).rejects.toThrow(/refused the Management API credentials .*→ 401/);

    const missing = await hb.mgmt.getTarget(`nobody-${run}`).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(MgmtError);
    expect(missing).toMatchObject({ status: 404, method: 'GET' });
    expect((missing as Error).message).toMatch(/has nothing to read target nobody-.*does not exist/);

    await expect(hb.mgmt.createTarget({ controllerId: `smoke-${run}-2` })).rejects.toThrow(
      /cannot create target smoke-.*-2: it already exists/,
    );

    // A closed port on loopback: the words name the server and the reason.
    const gone = new MgmtClient({ baseUrl: 'http://127.0.0.1:9', user: 'a', password: 'b', timeoutMs: 3000 });
    await expect(gone.getRollout(1)).rejects.toThrow(
      /cannot reach hawkBit at http:\/\/127\.0\.0\.1:9 to read rollout 1/,
    );
  });
});
