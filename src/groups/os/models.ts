/** OS management group (0): echo, task stats, date-time, reset, MCUmgr params, OS and bootloader info. */
import { defineCommand, type ResponseOf, type SmpCommand } from '../../smp/command.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { bool, int, mapOf, optional, struct, text, uint } from '../../smp/schema.ts';

export const echo = defineCommand({
  group: SmpGroup.Os,
  id: 0,
  op: 'write',
  name: 'os echo',
  request: { d: text() },
  response: { r: text() },
});

/** Zephyr registers the echo handler for reads too; some clients (mcumgr-toolkit) send it so. */
export const echoRead: typeof echo = Object.freeze({ ...echo, op: 'read' });

const taskInfo = struct({
  // Signed by default in Zephyr (TASKSTAT_SIGNED_PRIORITY=y), although the docs say uint.
  prio: int(),
  tid: uint(),
  state: uint(),
  stkuse: optional(uint()),
  stksiz: optional(uint()),
  cswcnt: optional(uint()),
  runtime: optional(uint()),
  last_checkin: optional(uint()),
  next_checkin: optional(uint()),
});

export const taskStat = defineCommand({
  group: SmpGroup.Os,
  id: 2,
  op: 'read',
  name: 'os task stats',
  request: {},
  response: { tasks: mapOf(taskInfo) },
});
export type TaskStatResponse = ResponseOf<typeof taskStat>;

export const dateTimeGet = defineCommand({
  group: SmpGroup.Os,
  id: 4,
  op: 'read',
  name: 'os date-time get',
  request: {},
  response: { datetime: text() },
});

export const dateTimeSet = defineCommand({
  group: SmpGroup.Os,
  id: 4,
  op: 'write',
  name: 'os date-time set',
  request: { datetime: text() },
  response: {},
});

export const reset = defineCommand({
  group: SmpGroup.Os,
  id: 5,
  op: 'write',
  name: 'os reset',
  // Zephyr decodes `force` as a CBOR bool (the docs say int).
  request: { force: optional(bool()) },
  response: {},
});

export const mcumgrParams = defineCommand({
  group: SmpGroup.Os,
  id: 6,
  op: 'read',
  name: 'os mcumgr params',
  request: {},
  response: { buf_size: uint(), buf_count: uint() },
});

export const osInfo = defineCommand({
  group: SmpGroup.Os,
  id: 7,
  op: 'read',
  name: 'os info',
  request: { format: optional(text()) },
  response: { output: text() },
});

export const bootloaderInfo = defineCommand({
  group: SmpGroup.Os,
  id: 8,
  op: 'read',
  name: 'os bootloader info',
  request: { query: optional(text()) },
  response: { bootloader: optional(text()), mode: optional(int()), 'no-downgrade': optional(bool()) },
});

export const osCommands: ReadonlyArray<SmpCommand> = [
  echo,
  taskStat,
  dateTimeGet,
  dateTimeSet,
  reset,
  mcumgrParams,
  osInfo,
  bootloaderInfo,
];
