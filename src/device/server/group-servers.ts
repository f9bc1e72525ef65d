/**
 * The handlers of every served group (src/groups/served.ts: installed.ts's groups without their CLI,
 * so a device in a browser worker loads no Node module), loaded once per process: the device awaits
 * them before its first app start, then registers them synchronously on each boot.
 */
import type { GroupServe } from '../../groups/installer.ts';
import { GROUP_SERVES } from '../../groups/served.ts';

let loading: Promise<GroupServe[]> | undefined;

export function groupServers(): Promise<GroupServe[]> {
  loading ??= Promise.all(GROUP_SERVES.map((serve) => serve()));
  return loading;
}
