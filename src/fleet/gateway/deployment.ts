/**
 * What the gateway agrees to install. Like Zephyr's own client (zephyr: subsys/mgmt/hawkbit/
 * hawkbit.c, hawkbit_parse_deployment) it takes exactly one chunk holding exactly one artifact, and
 * that artifact must be a signed MCUboot image with an image hash, since the dfu flow finds the new
 * image in the slot list by that hash. Zephyr insists on the part "bApp" (a software module of type
 * application); the gateway also takes "os" (a module of type os), because over SMP both mean the
 * same thing: one image for the device's application slot. Anything else fails with the reason in
 * words and nothing is sent to the device. Pure module.
 */
import { inspectImage, NotAnImageError } from '../../client/upload.ts';
import { toHex } from '../../image/bytes.ts';
import type { DdiArtifact, DdiChunk, DdiDeployment } from '../ddi/client.ts';

export const ACCEPTED_PARTS: readonly string[] = ['bApp', 'os'];

export type DeploymentChoice =
  | { ok: true; chunk: DdiChunk; artifact: DdiArtifact }
  | { ok: false; reason: string };

/** The one artifact to install, or why the deployment cannot be installed. */
export function chooseArtifact(deployment: DdiDeployment): DeploymentChoice {
  const { chunks } = deployment;
  const rule =
    'the gateway installs one MCUboot image per device: one chunk (part bApp or os) with one artifact';
  if (chunks.length !== 1) {
    const names = chunks.map((c) => `${c.part} "${c.name}"`).join(', ');
    return {
      ok: false,
      reason: `the distribution has ${chunks.length} software modules${chunks.length > 0 ? ` (${names})` : ''}; ${rule}`,
    };
  }
  const chunk = chunks[0]!;
  if (!ACCEPTED_PARTS.includes(chunk.part)) {
    return {
      ok: false,
      reason: `the software module "${chunk.name}" is of part "${chunk.part}"; ${rule} (a module of type application or os)`,
    };
  }
  if (chunk.artifacts.length !== 1) {
    const files = chunk.artifacts.map((a) => a.filename).join(', ');
    return {
      ok: false,
      reason: `the software module "${chunk.name}" ${chunk.version} has ${chunk.artifacts.length} artifacts${
        chunk.artifacts.length > 0 ? ` (${files})` : ''
      }; ${rule}`,
    };
  }
  return { ok: true, chunk, artifact: chunk.artifacts[0]! };
}

export type ImageCheck = { ok: true; version: string; hash: string } | { ok: false; reason: string };

/** Whether the downloaded bytes are an image the dfu flow can install. */
export function checkImage(artifact: DdiArtifact, data: Uint8Array): ImageCheck {
  try {
    const inspected = inspectImage(data);
    if (!inspected.imageHash || !inspected.version) {
      return {
        ok: false,
        reason: `the artifact ${artifact.filename} is an MCUboot image without an image hash (SHA256 TLV), so the device's slot list could not show it; sign it with imgtool's default sha256`,
      };
    }
    return { ok: true, version: inspected.version, hash: toHex(inspected.imageHash) };
  } catch (error) {
    if (error instanceof NotAnImageError) {
      return {
        ok: false,
        reason: `the artifact ${artifact.filename} (${data.length} bytes) is not a signed MCUboot image: ${error.detail.message}`,
      };
    }
    throw error;
  }
}
