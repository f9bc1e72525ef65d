/**
 * The JSON shapes of hawkBit's Management API (/rest/v1) that zdfu reads, as zod/mini schemas, and
 * the types derived from them. Only the fields zdfu uses are checked; the rest is dropped. Status
 * words stay strings: servers of other releases add values (e.g. later hawkBit's `detailStatus`),
 * and a client that refused them would break on an upgrade. Shapes checked against hawkBit 0.3.0M7
 * (eclipse-hawkbit/hawkbit: hawkbit-rest/hawkbit-mgmt-api, Mgmt*.java) and /work/shared/reference/
 * hawkbit.md §4. Pure module.
 */
import * as z from 'zod/mini';

const links = z.optional(z.record(z.string(), z.optional(z.object({ href: z.string() }))));

export const softwareModuleSchema = z.object({
  id: z.number(),
  name: z.string(),
  version: z.string(),
  type: z.string(),
  vendor: z.optional(z.string()),
});
export type SoftwareModule = z.infer<typeof softwareModuleSchema>;

export const artifactSchema = z.object({
  id: z.number(),
  providedFilename: z.string(),
  size: z.number(),
  hashes: z.object({ sha1: z.string(), md5: z.string(), sha256: z.optional(z.string()) }),
  _links: links,
});
export type Artifact = z.infer<typeof artifactSchema>;

export const distributionSetSchema = z.object({
  id: z.number(),
  name: z.string(),
  version: z.string(),
  type: z.optional(z.string()),
  complete: z.optional(z.boolean()),
  modules: z.optional(z.array(softwareModuleSchema)),
});
export type DistributionSet = z.infer<typeof distributionSetSchema>;

/** Target update status words of hawkBit (TargetUpdateStatus), lower case on the wire. */
export type TargetUpdateStatus = 'unknown' | 'in_sync' | 'pending' | 'error' | 'registered';

export const targetSchema = z.object({
  controllerId: z.string(),
  name: z.string(),
  description: z.optional(z.string()),
  /** One of TargetUpdateStatus on the servers zdfu knows. */
  updateStatus: z.optional(z.string()),
  securityToken: z.optional(z.string()),
  address: z.optional(z.string()),
  ipAddress: z.optional(z.string()),
  lastControllerRequestAt: z.optional(z.number()),
  installedAt: z.optional(z.number()),
  pollStatus: z.optional(
    z.object({
      lastRequestAt: z.optional(z.number()),
      nextExpectedRequestAt: z.optional(z.number()),
      overdue: z.optional(z.boolean()),
    }),
  ),
});
export type Target = z.infer<typeof targetSchema>;

/** Action status words of hawkBit (Action.Status), lower case on the wire. */
export type ActionStatusType =
  | 'finished'
  | 'error'
  | 'warning'
  | 'running'
  | 'canceled'
  | 'canceling'
  | 'retrieved'
  | 'download'
  | 'downloaded'
  | 'scheduled'
  | 'cancel_rejected';

export const actionSchema = z.object({
  id: z.number(),
  /** `update` or `cancel`. */
  type: z.string(),
  /** `pending` while open, `finished` once closed (successfully or not; see the status list). */
  status: z.string(),
  forceType: z.optional(z.string()),
  /** Later hawkBit releases only: the last Action.Status word. */
  detailStatus: z.optional(z.string()),
  _links: links,
});
export type Action = z.infer<typeof actionSchema>;

export const actionStatusSchema = z.object({
  id: z.number(),
  /** One of ActionStatusType. */
  type: z.string(),
  messages: z.optional(z.array(z.string())),
  reportedAt: z.optional(z.number()),
});
export type ActionStatusEntry = z.infer<typeof actionStatusSchema>;

export const assignResultSchema = z.object({
  alreadyAssigned: z.number(),
  assigned: z.number(),
  total: z.number(),
  assignedActions: z.optional(z.array(z.object({ id: z.number() }))),
});
export type AssignResult = z.infer<typeof assignResultSchema>;

export const systemConfigSchema = z.object({
  value: z.union([z.string(), z.number(), z.boolean()]),
  global: z.optional(z.boolean()),
});
export type SystemConfigValue = z.infer<typeof systemConfigSchema>['value'];

/** Rollout status words of hawkBit (Rollout.RolloutStatus), lower case on the wire. */
export type RolloutStatus =
  | 'creating'
  | 'ready'
  | 'paused'
  | 'starting'
  | 'stopped'
  | 'running'
  | 'finished'
  | 'deleting'
  | 'deleted'
  | 'error_creating'
  | 'error_starting'
  | 'waiting_for_approval'
  | 'approval_denied';

/** Per-status target counts: keys `notstarted`, `scheduled`, `running`, `finished`, `error`, `cancelled`. */
const perStatus = z.optional(z.record(z.string(), z.number()));

export const rolloutSchema = z.object({
  id: z.number(),
  name: z.string(),
  /** One of RolloutStatus. */
  status: z.string(),
  distributionSetId: z.optional(z.number()),
  targetFilterQuery: z.optional(z.string()),
  totalTargets: z.optional(z.number()),
  totalTargetsPerStatus: perStatus,
});
export type Rollout = z.infer<typeof rolloutSchema>;

/** Rollout group status words of hawkBit (RolloutGroup.RolloutGroupStatus). */
export type RolloutGroupStatus = 'creating' | 'ready' | 'scheduled' | 'running' | 'finished' | 'error';

export const rolloutGroupSchema = z.object({
  id: z.number(),
  name: z.string(),
  /** One of RolloutGroupStatus. */
  status: z.string(),
  totalTargets: z.optional(z.number()),
  targetPercentage: z.optional(z.number()),
  totalTargetsPerStatus: perStatus,
});
export type RolloutGroup = z.infer<typeof rolloutGroupSchema>;

/** hawkBit's paged list: `content` is one page, `total` counts all. */
export function pagedSchema<T extends z.core.$ZodType>(item: T) {
  return z.object({ content: z.array(item), total: z.number(), size: z.optional(z.number()) });
}
export interface Paged<T> {
  content: T[];
  total: number;
}

/** hawkBit's error body (ExceptionInfo). */
export const errorBodySchema = z.object({
  errorCode: z.optional(z.string()),
  message: z.optional(z.string()),
  exceptionClass: z.optional(z.string()),
});
