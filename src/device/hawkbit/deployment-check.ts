/**
 * What Zephyr's client accepts of a deployment (subsys/mgmt/hawkbit/hawkbit.c,
 * hawkbit_parse_deployment, Zephyr v3.5): exactly one chunk, of part "bApp", with exactly one
 * artifact, no larger than slot 1, whose download-http href goes to the DEFAULT tenant's
 * controller API on the same server ("/DEFAULT/controller/v1"). Anything else is refused before a
 * byte is written, with the reason in words. Pure: no Node imports.
 */
import type { DdiArtifact, DdiDeployment } from '../../fleet/ddi/client.ts';

/** The only tenant the client supports (its request paths use the compiled-in HAWKBIT_JSON_URL). */
const DEFAULT_TENANT_PATH = '/DEFAULT/controller/v1';

export type DeploymentVerdict =
  | { readonly ok: true; readonly artifact: DdiArtifact; readonly chunk: { name: string; version: string } }
  | { readonly ok: false; readonly reason: string };

export function checkDeployment(deployment: DdiDeployment, slotSize: number): DeploymentVerdict {
  const chunks = deployment.chunks;
  if (chunks.length !== 1) {
    return {
      ok: false,
      reason: `the distribution has ${chunks.length} software modules (chunks); Zephyr's hawkBit client takes exactly 1`,
    };
  }
  const chunk = chunks[0]!;
  if (chunk.part !== 'bApp') {
    return {
      ok: false,
      reason: `the software module "${chunk.name}" is of part "${chunk.part}"; Zephyr's hawkBit client takes only part "bApp" (a module of type application)`,
    };
  }
  if (chunk.artifacts.length !== 1) {
    return {
      ok: false,
      reason: `the software module "${chunk.name}" has ${chunk.artifacts.length} artifacts; Zephyr's hawkBit client takes exactly 1 (the signed image)`,
    };
  }
  const artifact = chunk.artifacts[0]!;
  if (artifact.size > slotSize) {
    return {
      ok: false,
      reason: `the artifact ${artifact.filename} is ${artifact.size} bytes, larger than slot 1 (${slotSize} bytes)`,
    };
  }
  if (!artifact.downloadHref.includes(DEFAULT_TENANT_PATH)) {
    return {
      ok: false,
      reason: `the artifact's download link ${artifact.downloadHref} is not under ${DEFAULT_TENANT_PATH}: Zephyr's hawkBit client supports only the DEFAULT tenant on the same server`,
    };
  }
  return { ok: true, artifact, chunk: { name: chunk.name, version: chunk.version } };
}
