/** Opens the Node link for a connection target, with a failure in words naming the target. */

import type { ConnTarget } from '../transport/kinds/kind.ts';
import { openNodeTarget } from '../transport/kinds/node.ts';
import { describeTarget } from '../transport/kinds/registry.ts';
import type { Transport } from '../transport/transport.ts';
import { faultOf } from '../util/fault.ts';
import { CliError } from './errors.ts';

export async function openNodeTransport(target: ConnTarget): Promise<Transport> {
  try {
    return await openNodeTarget(target);
  } catch (err) {
    const { where, id } = describeTarget(target);
    const why = err instanceof Error ? err.message : String(err);
    // Transports usually name the port already; do not say it twice.
    // A device that never showed up (a BLE scan that timed out) is no answer, not a local problem.
    throw new CliError(why.includes(id) ? capitalize(why) : `Cannot open ${where}: ${why}`, {
      fault: faultOf(err) ?? 'local',
      cause: err,
    });
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
