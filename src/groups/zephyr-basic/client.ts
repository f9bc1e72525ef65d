/** The Zephyr basic group's client call over an SmpClient (pure: Node and browsers). */
import type { RequestOptions, SmpClient } from '../../client/client.ts';
import { eraseStorage } from './models.ts';

/** Erases the device's whole storage_partition (its file system and stored settings). Never retried blindly. */
export async function eraseStoragePartition(smp: SmpClient, options?: RequestOptions): Promise<void> {
  await smp.request(eraseStorage, {}, options);
}
