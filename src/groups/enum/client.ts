/** The enumeration group's client calls over an SmpClient (pure: Node and browsers). */
import type { RequestOptions, SmpClient } from '../../client/client.ts';
import { enumCount, enumDetails, enumList, enumSingle } from './models.ts';

export interface EnumGroupDetails {
  readonly group: number;
  readonly name?: string;
  readonly handlers?: number;
}

export async function enumGroupCount(smp: SmpClient, options?: RequestOptions): Promise<number> {
  return (await smp.request(enumCount, {}, options)).count;
}

export async function enumGroupList(smp: SmpClient, options?: RequestOptions): Promise<number[]> {
  return (await smp.request(enumList, {}, options)).groups;
}

/** The group id at `index`, and whether it is the last one. */
export async function enumGroupAt(
  smp: SmpClient,
  index: number,
  options?: RequestOptions,
): Promise<{ group: number; end: boolean }> {
  const response = await smp.request(enumSingle, { index }, options);
  return { group: response.group, end: response.end === true };
}

/** Details of every group, or of `groups` only. */
export async function enumGroupDetails(
  smp: SmpClient,
  groups?: readonly number[],
  options?: RequestOptions,
): Promise<EnumGroupDetails[]> {
  const response = await smp.request(
    enumDetails,
    groups === undefined ? {} : { groups: [...groups] },
    options,
  );
  return response.groups;
}
