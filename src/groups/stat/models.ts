/** Statistics group (2): show one group's counters, list group names. */
import { defineCommand, type SmpCommand } from '../../smp/command.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { arrayOf, mapOf, text, uint } from '../../smp/schema.ts';

export const statShow = defineCommand({
  group: SmpGroup.Stat,
  id: 0,
  op: 'read',
  name: 'stat show',
  request: { name: text() },
  response: { name: text(), fields: mapOf(uint()) },
});

export const statList = defineCommand({
  group: SmpGroup.Stat,
  id: 1,
  op: 'read',
  name: 'stat list',
  request: {},
  response: { stat_list: arrayOf(text()) },
});

export const statCommands: ReadonlyArray<SmpCommand> = [statShow, statList];
