/**
 * One firmware release in hawkBit's terms: a software module holding the image(s) as artifacts, in
 * a distribution set that can be assigned or rolled out. The common set-up of the fleet suite, the
 * benchmark and a user's script. A Zephyr board takes exactly one artifact in one module of type
 * `application` (offered as chunk part `bApp`: zephyr: subsys/mgmt/hawkbit/hawkbit.c); more
 * artifacts or another type are allowed here so that tests can check the devices refuse them.
 * Pure module.
 */
import type { DistributionSetType, MgmtClient, SoftwareModuleType } from './client.ts';
import type { Artifact, DistributionSet, SoftwareModule } from './schema.ts';

export interface ReleaseSpec {
  name: string;
  version: string;
  /** The files of the release, uploaded in order; one signed MCUboot image for a Zephyr board. */
  artifacts: ReadonlyArray<{ filename: string; data: Uint8Array }>;
  /** Default `application` (chunk part `bApp`). */
  moduleType?: SoftwareModuleType;
  /** Default `app`. */
  setType?: DistributionSetType;
  vendor?: string;
  description?: string;
}

export interface Release {
  module: SoftwareModule;
  artifacts: Artifact[];
  distributionSet: DistributionSet;
}

/** Creates the module, uploads its artifacts, and wraps it in a distribution set. */
export async function publishRelease(mgmt: MgmtClient, spec: ReleaseSpec): Promise<Release> {
  if (spec.artifacts.length === 0) {
    throw new RangeError(`release ${spec.name} ${spec.version} has no artifact to upload`);
  }
  const module = await mgmt.createSoftwareModule({
    name: spec.name,
    version: spec.version,
    type: spec.moduleType ?? 'application',
    vendor: spec.vendor,
    description: spec.description,
  });
  const artifacts: Artifact[] = [];
  for (const file of spec.artifacts) artifacts.push(await mgmt.uploadArtifact(module.id, file));
  const distributionSet = await mgmt.createDistributionSet({
    name: spec.name,
    version: spec.version,
    moduleIds: [module.id],
    type: spec.setType ?? 'app',
    description: spec.description,
  });
  return { module, artifacts, distributionSet };
}
