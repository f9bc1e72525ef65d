/**
 * The few DDI calls the server smoke tests make, with plain fetch: they check the real hawkBit
 * (fleet/hawkbit-server) itself, independently of zdfu's DdiClient (src/fleet/ddi), which the
 * gateway and virtual-board tests exercise. Paths and bodies: hawkBit's DDI API docs
 * (eclipse-hawkbit/hawkbit: docs, "Direct Device Integration API"), /work/shared/reference/hawkbit.md §4.
 */
import type { HawkbitServer } from './hawkbit.ts';

/** `TargetToken <token>`, `GatewayToken <key>`, or no Authorization header. */
export type PlainAuth = { targetToken: string } | { gatewayToken: string } | 'none';

export interface PlainPoll {
  status: number;
  body: {
    config?: { polling?: { sleep?: string } };
    _links?: Record<string, { href: string } | undefined>;
  };
}

function headers(auth: PlainAuth): Record<string, string> {
  if (auth === 'none') return { Accept: 'application/hal+json' };
  const value =
    'targetToken' in auth ? `TargetToken ${auth.targetToken}` : `GatewayToken ${auth.gatewayToken}`;
  return { Accept: 'application/hal+json', Authorization: value };
}

export function controllerUrl(hb: HawkbitServer, controllerId: string): string {
  return `${hb.url}/${hb.tenant}/controller/v1/${encodeURIComponent(controllerId)}`;
}

export async function poll(hb: HawkbitServer, controllerId: string, auth: PlainAuth): Promise<PlainPoll> {
  const response = await fetch(controllerUrl(hb, controllerId), {
    headers: headers(auth),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

export async function getJson<T>(href: string, auth: PlainAuth): Promise<T> {
  const response = await fetch(href, { headers: headers(auth), signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${href} → ${response.status}`);
  return (await response.json()) as T;
}

export async function download(href: string, auth: PlainAuth): Promise<Uint8Array> {
  const response = await fetch(href, { headers: headers(auth), signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`GET ${href} → ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** POST …/{deploymentBase|cancelAction}/{actionId}/feedback; returns the HTTP status. */
export async function feedback(
  hb: HawkbitServer,
  controllerId: string,
  kind: 'deploymentBase' | 'cancelAction',
  actionId: string,
  auth: PlainAuth,
  status: { execution: string; finished: 'success' | 'failure' | 'none'; details?: string[] },
): Promise<number> {
  const response = await fetch(`${controllerUrl(hb, controllerId)}/${kind}/${actionId}/feedback`, {
    method: 'POST',
    headers: { ...headers(auth), 'Content-Type': 'application/json' },
    body: JSON.stringify({
      id: actionId,
      status: {
        execution: status.execution,
        result: { finished: status.finished },
        details: status.details ?? [],
      },
    }),
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  return response.status;
}

/** The action id in a deploymentBase or cancelAction link (`…/deploymentBase/12?c=…`). */
export function actionIdOf(href: string): string {
  const match = /\/(?:deploymentBase|cancelAction)\/(\d+)/.exec(href);
  if (!match?.[1]) throw new Error(`no action id in ${href}`);
  return match[1];
}
