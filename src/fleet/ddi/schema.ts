/**
 * hawkBit's DDI JSON as zod/mini schemas: what the server sends (controller base, deploymentBase,
 * cancelAction) and what a controller sends (action feedback, configData). The shapes follow
 * hawkBit 0.3.0M7's DDI model classes (hawkbit: hawkbit-rest/hawkbit-ddi-api/…/ddi/json/model/
 * DdiControllerBase, DdiDeploymentBase, DdiChunk, DdiArtifact, DdiArtifactHash, DdiCancel,
 * DdiActionFeedback, DdiStatus, DdiResult, DdiProgress, DdiConfigData). Objects are loose: fields a
 * later hawkBit adds (actionHistory, metadata, links we do not use) are ignored, as hawkBit's own
 * `@JsonIgnoreProperties(ignoreUnknown = true)` does. Pure module.
 */
import * as z from 'zod/mini';
import { DDI_EXECUTIONS, DDI_FINISHED } from './types.ts';

const link = z.object({ href: z.string().check(z.minLength(1)) });
const hex = (length: number) => z.string().check(z.regex(new RegExp(`^[0-9a-fA-F]{${length}}$`)));
const handling = z.enum(['skip', 'attempt', 'forced']);
/** hawkBit's action ids are Java Longs, sent as strings in deploymentBase and cancelAction. */
const actionId = z.union([z.string().check(z.regex(/^\S+$/)), z.int().check(z.nonnegative())]);

/** GET /{tenant}/controller/v1/{controllerId} */
export const ddiControllerBaseSchema = z.object({
  config: z.object({ polling: z.object({ sleep: z.string() }) }),
  _links: z.optional(
    z.object({
      deploymentBase: z.optional(link),
      cancelAction: z.optional(link),
      configData: z.optional(link),
    }),
  ),
});

export const ddiArtifactSchema = z.object({
  filename: z.string().check(z.minLength(1)),
  hashes: z.object({ sha256: hex(64), sha1: z.optional(hex(40)), md5: z.optional(hex(32)) }),
  size: z.int().check(z.nonnegative()),
  _links: z.object({
    /** https (hawkBit's `download` rel) */
    download: z.optional(link),
    /** http (hawkBit's `download-http` rel, the one Zephyr follows) */
    'download-http': z.optional(link),
    md5sum: z.optional(link),
    'md5sum-http': z.optional(link),
  }),
});

export const ddiChunkSchema = z.object({
  part: z.string(),
  version: z.string(),
  name: z.string(),
  /** Left out by hawkBit when the module has no artifacts (JsonInclude NON_NULL). */
  artifacts: z.optional(z.array(ddiArtifactSchema)),
});

/** GET …/deploymentBase/{actionId}?c=… */
export const ddiDeploymentBaseSchema = z.object({
  id: actionId,
  deployment: z.object({
    download: handling,
    update: handling,
    chunks: z.array(ddiChunkSchema),
    maintenanceWindow: z.optional(z.enum(['available', 'unavailable'])),
  }),
});

/** GET …/cancelAction/{actionId} */
export const ddiCancelSchema = z.object({
  id: actionId,
  cancelAction: z.object({ stopId: actionId }),
});

/**
 * POST …/deploymentBase/{actionId}/feedback and …/cancelAction/{actionId}/feedback. hawkBit
 * 0.3.0M7 answers 404 unless `id` equals the action id of the path (hawkbit: DdiRootController
 * postBasedeploymentActionFeedback); `time` is optional there and only logged.
 */
export const ddiActionFeedbackSchema = z.object({
  id: actionId,
  time: z.optional(z.string()),
  status: z.object({
    execution: z.enum(DDI_EXECUTIONS),
    result: z.object({
      finished: z.enum(DDI_FINISHED),
      progress: z.optional(z.object({ cnt: z.int().check(z.nonnegative()), of: z.optional(z.int()) })),
    }),
    details: z.optional(z.array(z.string())),
  }),
});

/** PUT …/configData: `data` must not be empty (hawkBit: @NotEmpty). */
export const ddiConfigDataSchema = z.object({
  mode: z.optional(z.enum(['merge', 'replace', 'remove'])),
  data: z.record(z.string(), z.string()).check(z.refine((data) => Object.keys(data).length > 0)),
});

export type DdiControllerBaseJson = z.infer<typeof ddiControllerBaseSchema>;
export type DdiDeploymentBaseJson = z.infer<typeof ddiDeploymentBaseSchema>;
export type DdiArtifactJson = z.infer<typeof ddiArtifactSchema>;
export type DdiCancelJson = z.infer<typeof ddiCancelSchema>;
export type DdiActionFeedbackJson = z.infer<typeof ddiActionFeedbackSchema>;
export type DdiConfigDataJson = z.infer<typeof ddiConfigDataSchema>;
