/**
 * The handlers of every installed group (src/groups/installed.ts), loaded once per process: the
 * device awaits them before its first app start, then registers them synchronously on each boot.
 */
import { GROUP_INSTALLERS } from '../../groups/installed.ts';
import type { GroupServe } from '../../groups/installer.ts';

let loading: Promise<GroupServe[]> | undefined;

export function groupServers(): Promise<GroupServe[]> {
  loading ??= Promise.all(
    GROUP_INSTALLERS.flatMap((installer) => (installer.serve ? [installer.serve()] : [])),
  );
  return loading;
}
