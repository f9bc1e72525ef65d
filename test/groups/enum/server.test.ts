/**
 * The enumeration group (10) on the virtual device (enum_mgmt.c, newest upstream): it reports the
 * groups the device's SMP server really registered, in registration order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  enumGroupAt,
  enumGroupCount,
  enumGroupDetails,
  enumGroupList,
} from '../../../src/groups/enum/client.ts';
import type { SmpError } from '../../../src/smp/errors.ts';
import { SmpGroup } from '../../../src/smp/group-ids.ts';
import { type BootedDevice, bootDevice } from '../../device/server/fixtures.ts';
import { rawRequest } from '../raw.ts';

let booted: BootedDevice | undefined;
afterEach(async () => {
  await booted?.close();
  booted = undefined;
});

/** The groups this build serves, in the order their handlers register (src/groups/installed.ts). */
const SERVED = [0, 2, 1, 8, 3, 10, 63, 9];

describe('enumeration group', () => {
  it('count, list and single agree with the registered groups; single marks the last with "end"', async () => {
    booted = await bootDevice();
    const smp = booted.client.smp;
    expect(await enumGroupCount(smp)).toBe(SERVED.length);
    expect(await enumGroupList(smp)).toEqual(SERVED);
    for (const [index, group] of SERVED.entries()) {
      expect(await enumGroupAt(smp, index)).toEqual({ group, end: index === SERVED.length - 1 });
    }
    const raw = await rawRequest(booted.device, {
      version: 2,
      op: 'read',
      group: SmpGroup.Enum,
      command: 2,
      body: { index: 0 },
    });
    expect(raw).toEqual({ group: 0 });
  });

  it('details: names and handler counts of every group, or only of the ids asked for', async () => {
    booted = await bootDevice();
    const details = await enumGroupDetails(booted.client.smp);
    expect(details.map((d) => d.group)).toEqual(SERVED);
    expect(details.find((d) => d.group === 3)).toEqual({ group: 3, name: 'settings mgmt', handlers: 4 });
    expect(details.find((d) => d.group === 10)).toEqual({ group: 10, name: 'enum mgmt', handlers: 4 });
    expect(details.find((d) => d.group === 63)).toEqual({
      group: 63,
      name: 'zephyr basic mgmt',
      handlers: 1,
    });
    // Registration order, whatever the request's order; ids the device lacks are left out.
    expect((await enumGroupDetails(booted.client.smp, [63, 3, 42])).map((d) => d.group)).toEqual([3, 63]);
  });

  it('errors: an index past the end is INDEX_TOO_LARGE (v1: EUNKNOWN); over 65535 or missing EINVAL; too many ids TOO_MANY_GROUP_ENTRIES (v1: EINVAL)', async () => {
    booted = await bootDevice();
    const ask = (version: 1 | 2, command: number, body: Record<string, unknown>) =>
      rawRequest(booted!.device, { version, op: 'read', group: SmpGroup.Enum, command, body: body as never });
    expect(await ask(2, 2, { index: SERVED.length })).toEqual({ err: { group: 10, rc: 4 } });
    expect(await ask(1, 2, { index: SERVED.length })).toEqual({ rc: 1 });
    expect(await ask(2, 2, { index: 65536 })).toEqual({ rc: 3 });
    expect(await ask(2, 2, {})).toEqual({ rc: 3 });
    expect(await ask(2, 2, { index: -1 })).toEqual({ rc: 3 });
    const seventeen = Array.from({ length: 17 }, (_, i) => i);
    expect(await ask(2, 3, { groups: seventeen })).toEqual({ err: { group: 10, rc: 2 } });
    expect(await ask(1, 3, { groups: seventeen })).toEqual({ rc: 3 });
    expect(await ask(2, 3, { groups: ['os'] })).toEqual({ rc: 3 });
    // "groups" that is not a list counts as no filter, as enum_mgmt_cb_count_entries reads it.
    expect(((await ask(2, 3, { groups: 5 })) as { groups: unknown[] }).groups).toHaveLength(SERVED.length);
    // No write handlers, no command 4.
    expect(
      await rawRequest(booted.device, {
        version: 2,
        op: 'write',
        group: SmpGroup.Enum,
        command: 0,
        body: {},
      }),
    ).toEqual({ rc: 8 });
    expect(await ask(2, 4, {})).toEqual({ rc: 8 });
    const error = await enumGroupAt(booted.client.smp, 99).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as SmpError).message).toContain('group index too large (INDEX_TOO_LARGE, group 10 rc 4)');
  });
});
