/**
 * A typed client for Eclipse hawkBit's Management API (/rest/v1, HTTP basic auth): what zdfu's
 * fleet suite, benchmark and rehearsals need to set up a rollout — software modules and their
 * artifacts, distribution sets, targets with security tokens, forced assignments, cancels, the
 * gateway token (system configuration), rollouts with groups and thresholds — and to read what the
 * devices reported (actions, their status history, target attributes, rollout group counts).
 *
 * Pure: the global fetch (or one passed in), FormData, Blob and AbortSignal only, so a page can use
 * it too. Every request is bounded by a time-out; every wait by a deadline. Calls follow hawkBit's
 * REST docs (eclipse-hawkbit/hawkbit: docs, "Management API") and /work/shared/reference/hawkbit.md §4.
 */
import * as z from 'zod/mini';
import { sleepOrAbort } from '../../util/timeout.ts';
import { MgmtResponseError, MgmtWaitError } from './errors.ts';
import { MgmtHttp, type MgmtHttpOptions, queryString, seg } from './http.ts';
import {
  type Action,
  type ActionStatusEntry,
  type Artifact,
  type AssignResult,
  actionSchema,
  actionStatusSchema,
  artifactSchema,
  assignResultSchema,
  type DistributionSet,
  distributionSetSchema,
  type Paged,
  pagedSchema,
  type Rollout,
  type RolloutGroup,
  type RolloutStatus,
  rolloutGroupSchema,
  rolloutSchema,
  type SoftwareModule,
  type SystemConfigValue,
  softwareModuleSchema,
  systemConfigSchema,
  type Target,
  targetSchema,
} from './schema.ts';

/** Where hawkBit is and how to log in (basic auth), with each request's time bound. */
export type MgmtClientOptions = MgmtHttpOptions;

/** Software module types hawkBit ships: `application` becomes chunk part `bApp`, `os` part `os`. */
export type SoftwareModuleType = 'application' | 'os' | (string & {});
/** Distribution set types hawkBit ships: `app` (applications only), `os`, `os_app`. */
export type DistributionSetType = 'app' | 'os' | 'os_app' | (string & {});
/** How hawkBit tells the device to act (DDI `download`/`update`: forced or attempt). */
export type ActionType = 'forced' | 'soft' | 'downloadonly';

export interface NewTarget {
  controllerId: string;
  /** Defaults to the controller id. */
  name?: string;
  /** The device's TargetToken; hawkBit generates one when absent. */
  securityToken?: string;
  description?: string;
}

export interface NewRollout {
  name: string;
  distributionSetId: number;
  /** hawkBit's FIQL target filter, e.g. `controllerId==sim-*`. */
  targetFilterQuery: string;
  /** Groups of (about) equal size that hawkBit builds from the matching targets. */
  amountGroups: number;
  /** Default `forced`. */
  type?: ActionType;
  /** Percent of a group finished before the next group starts (hawkBit's THRESHOLD; default 100). */
  successThreshold?: number;
  /** Percent of a group in error that pauses the rollout (THRESHOLD + PAUSE); none when absent. */
  errorThreshold?: number;
  description?: string;
}

/** Bounds of a wait on hawkBit. */
export interface WaitOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** Time between looks (default 500 ms). */
  intervalMs?: number;
  signal?: AbortSignal;
}

/** The system configuration keys zdfu sets (hawkBit's TenantConfigurationKey). */
export const SYSTEM_CONFIG = {
  gatewayTokenKey: 'authentication.gatewaytoken.key',
  gatewayTokenEnabled: 'authentication.gatewaytoken.enabled',
  targetTokenEnabled: 'authentication.targettoken.enabled',
  pollingTime: 'pollingTime',
} as const;

/** Largest page hawkBit serves (its REST paging limit); lists longer than this are fetched in pages. */
const PAGE_LIMIT = 500;
/** Targets per create request: keeps each request short on a busy server. */
const CREATE_BATCH = 100;

export class MgmtClient {
  private readonly http: MgmtHttp;

  constructor(options: MgmtClientOptions) {
    this.http = new MgmtHttp(options);
  }

  /** The server's root URL, without a trailing slash. */
  get baseUrl(): string {
    return this.http.baseUrl;
  }

  // ---- software modules, artifacts, distribution sets ----

  async createSoftwareModule(module: {
    name: string;
    version: string;
    type?: SoftwareModuleType;
    vendor?: string;
    description?: string;
  }): Promise<SoftwareModule> {
    const body = [{ type: 'application', ...module }];
    const created = await this.http.call(
      `create software module ${module.name} ${module.version}`,
      'POST',
      '/rest/v1/softwaremodules',
      { json: body },
      oneOf(softwareModuleSchema),
    );
    return created[0];
  }

  /** Uploads one artifact (multipart field `file`); hawkBit answers with its hashes. */
  async uploadArtifact(
    moduleId: number,
    artifact: { filename: string; data: Uint8Array },
  ): Promise<Artifact> {
    const form = new FormData();
    const bytes = new Uint8Array(new ArrayBuffer(artifact.data.length));
    bytes.set(artifact.data);
    form.append('file', new Blob([bytes]), artifact.filename);
    return this.http.call(
      `upload artifact ${artifact.filename} (${artifact.data.length} bytes) to software module ${moduleId}`,
      'POST',
      `/rest/v1/softwaremodules/${moduleId}/artifacts`,
      { form },
      artifactSchema,
    );
  }

  async createDistributionSet(set: {
    name: string;
    version: string;
    moduleIds: readonly number[];
    type?: DistributionSetType;
    description?: string;
  }): Promise<DistributionSet> {
    const { moduleIds, ...rest } = set;
    const body = [{ type: 'app', ...rest, modules: moduleIds.map((id) => ({ id })) }];
    const created = await this.http.call(
      `create distribution set ${set.name} ${set.version}`,
      'POST',
      '/rest/v1/distributionsets',
      { json: body },
      oneOf(distributionSetSchema),
    );
    return created[0];
  }

  // ---- targets ----

  async createTarget(target: NewTarget): Promise<Target> {
    const [created] = await this.createTargets([target]);
    if (!created) {
      throw new MgmtResponseError(`hawkBit created no target for ${target.controllerId}`, {
        method: 'POST',
        path: '/rest/v1/targets',
      });
    }
    return created;
  }

  /** Creates targets in batches of CREATE_BATCH; returns them in the order given. */
  async createTargets(targets: readonly NewTarget[]): Promise<Target[]> {
    const out: Target[] = [];
    for (let i = 0; i < targets.length; i += CREATE_BATCH) {
      const batch = targets.slice(i, i + CREATE_BATCH).map((t) => ({ name: t.controllerId, ...t }));
      const first = batch[0]?.controllerId ?? '';
      const what =
        batch.length === 1 ? `create target ${first}` : `create ${batch.length} targets from ${first}`;
      out.push(
        ...(await this.http.call(what, 'POST', '/rest/v1/targets', { json: batch }, arrayOf(targetSchema))),
      );
    }
    return out;
  }

  getTarget(controllerId: string): Promise<Target> {
    return this.http.call(
      `read target ${controllerId}`,
      'GET',
      `/rest/v1/targets/${seg(controllerId)}`,
      undefined,
      targetSchema,
    );
  }

  /** One page of targets, optionally filtered by FIQL (e.g. `controllerId==sim-*`). */
  listTargets(query: { q?: string; limit?: number; offset?: number } = {}): Promise<Paged<Target>> {
    return this.http.call(
      `list targets${query.q ? ` matching ${query.q}` : ''}`,
      'GET',
      `/rest/v1/targets${queryString({ q: query.q, limit: query.limit ?? PAGE_LIMIT, offset: query.offset })}`,
      undefined,
      pagedSchema(targetSchema),
    );
  }

  /** Every target matching the filter, page by page. */
  async allTargets(q?: string): Promise<Target[]> {
    return this.allPages((offset) => this.listTargets({ q, offset, limit: PAGE_LIMIT }));
  }

  /** The attributes the device sent with DDI configData. */
  async targetAttributes(controllerId: string): Promise<Record<string, string>> {
    const attributes = await this.http.call(
      `read attributes of target ${controllerId}`,
      'GET',
      `/rest/v1/targets/${seg(controllerId)}/attributes`,
      undefined,
      undefined,
    );
    if (attributes === undefined || attributes === null) return {};
    if (typeof attributes !== 'object' || Array.isArray(attributes)) {
      throw new MgmtResponseError(
        `hawkBit sent target ${controllerId}'s attributes as ${typeof attributes}, not an object`,
        {
          method: 'GET',
          path: `/rest/v1/targets/${controllerId}/attributes`,
        },
      );
    }
    return Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, String(v)]));
  }

  /** The target's actions, oldest first. */
  async targetActions(controllerId: string): Promise<Action[]> {
    const actions = await this.allPages((offset) =>
      this.http.call(
        `list actions of target ${controllerId}`,
        'GET',
        `/rest/v1/targets/${seg(controllerId)}/actions${queryString({ limit: PAGE_LIMIT, offset })}`,
        undefined,
        pagedSchema(actionSchema),
      ),
    );
    return actions.sort((a, b) => a.id - b.id);
  }

  action(controllerId: string, actionId: number): Promise<Action> {
    return this.http.call(
      `read action ${actionId} of target ${controllerId}`,
      'GET',
      `/rest/v1/targets/${seg(controllerId)}/actions/${actionId}`,
      undefined,
      actionSchema,
    );
  }

  /** The action's status history (what hawkBit and the device reported), oldest first. */
  async actionStatus(controllerId: string, actionId: number): Promise<ActionStatusEntry[]> {
    const entries = await this.allPages((offset) =>
      this.http.call(
        `read the status history of action ${actionId} of target ${controllerId}`,
        'GET',
        `/rest/v1/targets/${seg(controllerId)}/actions/${actionId}/status${queryString({ limit: PAGE_LIMIT, offset })}`,
        undefined,
        pagedSchema(actionStatusSchema),
      ),
    );
    return entries
      .map(({ messages, ...entry }) => ({ ...entry, messages: (messages ?? []).filter((m) => m !== null) }))
      .sort((a, b) => a.id - b.id);
  }

  /** Assigns a distribution set to targets (one action each); `forced` unless told otherwise. */
  assign(
    distributionSetId: number,
    controllerIds: readonly string[],
    type: ActionType = 'forced',
  ): Promise<AssignResult> {
    return this.http.call(
      `assign distribution set ${distributionSetId} to ${controllerIds.length} target(s)`,
      'POST',
      `/rest/v1/distributionsets/${distributionSetId}/assignedTargets`,
      { json: controllerIds.map((id) => ({ id, type })) },
      assignResultSchema,
    );
  }

  /**
   * Cancels an open action: hawkBit then offers the device `cancelAction` until it answers.
   * `force` ends it on the server at once (hawkBit's force quit, for an action already canceling).
   */
  async cancelAction(
    controllerId: string,
    actionId: number,
    options: { force?: boolean } = {},
  ): Promise<void> {
    await this.http.call(
      `${options.force ? 'force-quit' : 'cancel'} action ${actionId} of target ${controllerId}`,
      'DELETE',
      `/rest/v1/targets/${seg(controllerId)}/actions/${actionId}${options.force ? '?force=true' : ''}`,
      undefined,
      undefined,
    );
  }

  // ---- system configuration ----

  async getSystemConfig(key: string): Promise<SystemConfigValue> {
    const config = await this.http.call(
      `read system configuration ${key}`,
      'GET',
      `/rest/v1/system/configs/${seg(key)}`,
      undefined,
      systemConfigSchema,
    );
    return config.value;
  }

  async setSystemConfig(key: string, value: SystemConfigValue): Promise<void> {
    await this.http.call(
      `set system configuration ${key}`,
      'PUT',
      `/rest/v1/system/configs/${seg(key)}`,
      { json: { value } },
      undefined,
    );
  }

  /** Turns gateway-token DDI authentication on with this key (one key for every controller). */
  async setGatewayToken(key: string): Promise<void> {
    await this.setSystemConfig(SYSTEM_CONFIG.gatewayTokenEnabled, true);
    await this.setSystemConfig(SYSTEM_CONFIG.gatewayTokenKey, key);
  }

  // ---- rollouts ----

  async createRollout(spec: NewRollout): Promise<Rollout> {
    if (!Number.isInteger(spec.amountGroups) || spec.amountGroups < 1) {
      throw new RangeError(`a rollout needs a whole number of groups ≥ 1, got ${spec.amountGroups}`);
    }
    for (const [what, percent] of [
      ['success threshold', spec.successThreshold],
      ['error threshold', spec.errorThreshold],
    ] as const) {
      if (percent !== undefined && !(percent >= 0 && percent <= 100)) {
        throw new RangeError(`a rollout's ${what} is a percentage 0–100, got ${percent}`);
      }
    }
    const body = {
      name: spec.name,
      description: spec.description,
      distributionSetId: spec.distributionSetId,
      targetFilterQuery: spec.targetFilterQuery,
      amountGroups: spec.amountGroups,
      type: spec.type ?? 'forced',
      successCondition: { condition: 'THRESHOLD', expression: String(spec.successThreshold ?? 100) },
      successAction: { action: 'NEXTGROUP', expression: '' },
      ...(spec.errorThreshold === undefined
        ? {}
        : {
            errorCondition: { condition: 'THRESHOLD', expression: String(spec.errorThreshold) },
            errorAction: { action: 'PAUSE', expression: '' },
          }),
    };
    return this.http.call(
      `create rollout ${spec.name}`,
      'POST',
      '/rest/v1/rollouts',
      { json: body },
      rolloutSchema,
    );
  }

  getRollout(id: number): Promise<Rollout> {
    return this.http.call(`read rollout ${id}`, 'GET', `/rest/v1/rollouts/${id}`, undefined, rolloutSchema);
  }

  /**
   * Waits until the rollout's status is one of `statuses`; throws MgmtWaitError after the deadline,
   * and at once when it lands in a status it cannot leave for one of those (error_creating, …).
   */
  async waitRollout(
    id: number,
    statuses: readonly RolloutStatus[],
    options: WaitOptions = {},
  ): Promise<Rollout> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const started = Date.now();
    const dead = ['error_creating', 'error_starting', 'deleted', 'approval_denied'];
    for (;;) {
      const rollout = await this.getRollout(id);
      if ((statuses as readonly string[]).includes(rollout.status)) return rollout;
      const waited = Date.now() - started;
      if (dead.includes(rollout.status)) {
        throw new MgmtWaitError(
          `rollout ${id} (${rollout.name}) is ${rollout.status}; it will not become ${statuses.join(' or ')}`,
          rollout.status,
          waited,
        );
      }
      if (waited >= timeoutMs) {
        throw new MgmtWaitError(
          `rollout ${id} (${rollout.name}) is still ${rollout.status} after ${(waited / 1000).toFixed(1)} s, not ${statuses.join(' or ')}${describeCounts(rollout)}`,
          rollout.status,
          waited,
        );
      }
      await sleepOrAbort(Math.min(options.intervalMs ?? 500, timeoutMs - waited), options.signal);
    }
  }

  /** hawkBit builds a rollout's groups in the background (≈ 2 s): wait for `ready` before start. */
  waitRolloutReady(id: number, options: WaitOptions = {}): Promise<Rollout> {
    return this.waitRollout(id, ['ready'], options);
  }

  async startRollout(id: number): Promise<void> {
    await this.http.call(
      `start rollout ${id}`,
      'POST',
      `/rest/v1/rollouts/${id}/start`,
      undefined,
      undefined,
    );
  }

  async pauseRollout(id: number): Promise<void> {
    await this.http.call(
      `pause rollout ${id}`,
      'POST',
      `/rest/v1/rollouts/${id}/pause`,
      undefined,
      undefined,
    );
  }

  async resumeRollout(id: number): Promise<void> {
    await this.http.call(
      `resume rollout ${id}`,
      'POST',
      `/rest/v1/rollouts/${id}/resume`,
      undefined,
      undefined,
    );
  }

  /** The rollout's deployment groups in order, each with its status and per-status counts. */
  async rolloutGroups(id: number): Promise<RolloutGroup[]> {
    const groups = await this.allPages((offset) =>
      this.http.call(
        `list the groups of rollout ${id}`,
        'GET',
        `/rest/v1/rollouts/${id}/deploygroups${queryString({ limit: PAGE_LIMIT, offset })}`,
        undefined,
        pagedSchema(rolloutGroupSchema),
      ),
    );
    return groups.sort((a, b) => a.id - b.id);
  }

  /** The targets hawkBit put into one group of a rollout. */
  rolloutGroupTargets(rolloutId: number, groupId: number): Promise<Target[]> {
    return this.allPages((offset) =>
      this.http.call(
        `list the targets of group ${groupId} of rollout ${rolloutId}`,
        'GET',
        `/rest/v1/rollouts/${rolloutId}/deploygroups/${groupId}/targets${queryString({ limit: PAGE_LIMIT, offset })}`,
        undefined,
        pagedSchema(targetSchema),
      ),
    );
  }

  // ---- plumbing ----

  private async allPages<T>(page: (offset: number) => Promise<Paged<T>>): Promise<T[]> {
    const all: T[] = [];
    for (;;) {
      const { content, total } = await page(all.length);
      all.push(...content);
      if (content.length === 0 || all.length >= total) return all;
    }
  }
}

/** A JSON array of items (hawkBit's create calls answer with the created entities). */
function arrayOf<T extends z.core.$ZodType>(item: T) {
  return z.array(item);
}

/** A JSON array of at least one item (the answer to creating one entity). */
function oneOf<T extends z.core.$ZodType>(item: T) {
  return z.tuple([item], item);
}

function describeCounts(rollout: Rollout): string {
  const counts = rollout.totalTargetsPerStatus;
  if (!counts) return '';
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  return parts.length > 0 ? ` (targets: ${parts.join(', ')})` : '';
}
