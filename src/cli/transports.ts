/** Opens the Node link for a connection target, with a failure in words naming the target. */

import type { ConnTarget } from '../transport/kinds/kind.ts';
import { openNodeTarget } from '../transport/kinds/node.ts';
import { describeTarget } from '../transport/kinds/registry.ts';
import type { Transport } from '../transport/transport.ts';
import { CliError } from './errors.ts';

export async function openNodeTransport(target: ConnTarget): Promise<Transport> {
  try {
    return await openNodeTarget(target);
  } catch (err) {
    const { where, id } = describeTarget(target);
    const why = err instanceof Error ? err.message : String(err);
    // Transports usually name the port already; do not say it twice.
    throw new CliError(why.includes(id) ? capitalize(why) : `Cannot open ${where}: ${why}`);
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
