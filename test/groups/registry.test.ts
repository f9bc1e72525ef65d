/** Every group folder is registered once in each registry, and the two registries agree. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupName, SMP_GROUPS } from '../../src/groups/catalog.ts';
import { GROUP_INSTALLERS } from '../../src/groups/installed.ts';
import { SmpGroup } from '../../src/smp/group-ids.ts';

const groupsDir = join(import.meta.dirname, '..', '..', 'src', 'groups');
const folders = readdirSync(groupsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

describe('group registries', () => {
  it('lists each of Zephyr groups once in the catalog, with a folder of its own', () => {
    const ids = SMP_GROUPS.map((group) => group.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of Object.values(SmpGroup).filter((v): v is number => typeof v === 'number')) {
      expect(ids).toContain(id);
    }
    expect(SMP_GROUPS.map((group) => group.name).sort()).toEqual([...folders].sort());
  });

  it('installs only catalogued groups, each once, and every installed folder has its install.ts', () => {
    const installed = GROUP_INSTALLERS.map((installer) => installer.group);
    expect(new Set(installed).size).toBe(installed.length);
    for (const group of installed) expect(SMP_GROUPS).toContain(group);
    for (const folder of folders) {
      const hasInstaller = readdirSync(join(groupsDir, folder)).includes('install.ts');
      expect(installed.some((group) => group.name === folder)).toBe(hasInstaller);
    }
  });

  it('gives every error table OK at 0 and a name and words for every code', () => {
    for (const group of SMP_GROUPS) {
      expect(group.errors[0]?.name).toBe('OK');
      for (const code of group.errors) {
        expect(code.name).toMatch(/^[A-Z0-9_]+$/);
        expect(code.words.length).toBeGreaterThan(3);
      }
      for (const rc of Object.keys(group.toV1)) expect(group.errors[Number(rc)]).toBeDefined();
    }
    expect(groupName(SmpGroup.ZephyrBasic)).toBe('zephyr-basic');
    expect(groupName(77)).toBe('group 77');
  });
});
