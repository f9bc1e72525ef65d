/**
 * The DDI protocol as zdfu's fleet code uses it: what a poll, a deployment, a cancel and a piece of
 * feedback mean, without hawkBit's JSON nesting (./schema.ts has that). Pure module.
 */

/** How a controller proves who it is (hawkbit: the DDI security filters; zephyr: CONFIG_HAWKBIT_DDI_*). */
export type DdiAuth =
  | { kind: 'none' }
  | { kind: 'target'; token: string }
  | { kind: 'gateway'; token: string };

/** What one poll of the controller base said. */
export interface DdiPoll {
  /** `config.polling.sleep` in milliseconds: when the server wants the next poll. */
  pollSleepMs: number;
  /** The `deploymentBase` link: an update is waiting (absolute URL, with hawkBit's `?c=` hash). */
  deploymentHref?: string;
  /** The `cancelAction` link: the server wants the running action stopped. */
  cancelHref?: string;
  /** The `configData` link is present: the server asks for the controller's attributes. */
  configDataRequested: boolean;
}

export type DdiHandling = 'skip' | 'attempt' | 'forced';

/** An update to install (deploymentBase). */
export interface DdiDeployment {
  actionId: string;
  download: DdiHandling;
  update: DdiHandling;
  chunks: DdiChunk[];
  maintenanceWindow?: 'available' | 'unavailable';
}

/** One software module of the distribution set: `part` is "bApp" for type application, "os" for os. */
export interface DdiChunk {
  part: string;
  name: string;
  version: string;
  artifacts: DdiArtifact[];
}

export interface DdiArtifact {
  filename: string;
  size: number;
  /** Lower-case hex, as hawkBit announced it. */
  sha256: string;
  sha1?: string;
  md5?: string;
  /** Absolute URL the server gave (`download` for https, `download-http` for http). */
  downloadHref: string;
}

/** A cancel request (cancelAction): stop action `stopId`. */
export interface DdiCancel {
  actionId: string;
  stopId: string;
}

/** `status.execution` values hawkBit 0.3.0M7 accepts (hawkbit: DdiStatus.ExecutionStatus). */
export const DDI_EXECUTIONS = [
  'closed',
  'proceeding',
  'canceled',
  'scheduled',
  'rejected',
  'resumed',
  'downloaded',
  'download',
] as const;
export type DdiExecution = (typeof DDI_EXECUTIONS)[number];

/** `status.result.finished` values (hawkbit: DdiResult.FinalResult). */
export const DDI_FINISHED = ['success', 'failure', 'none'] as const;
export type DdiFinished = (typeof DDI_FINISHED)[number];

/** One feedback message about an action. */
export interface DdiFeedback {
  execution: DdiExecution;
  finished: DdiFinished;
  /** Free text lines; hawkBit shows them in the action history. */
  details?: string[];
  progress?: { cnt: number; of: number };
}

/** How configData changes the target's attributes (hawkbit: DdiUpdateMode). */
export type DdiConfigMode = 'merge' | 'replace' | 'remove';
