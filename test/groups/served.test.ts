/** The device's served-group list (src/groups/served.ts) is installed.ts's, in the same order. */
import { describe, expect, it } from 'vitest';
import { GROUP_INSTALLERS } from '../../src/groups/installed.ts';
import { GROUP_SERVES } from '../../src/groups/served.ts';

describe('served groups', () => {
  it('are the installed groups that serve, in the same order, as the same loaders', () => {
    const installed = GROUP_INSTALLERS.flatMap((installer) => (installer.serve ? [installer.serve] : []));
    expect(GROUP_SERVES).toEqual(installed);
    expect(GROUP_SERVES.length).toBe(8);
  });
});
