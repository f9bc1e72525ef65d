import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type ImageSlotState,
  type ImageStateResponse,
  imageCommands,
  imageStateRead,
  imageStateWrite,
  imageUpload,
} from '../../src/groups/image/models.ts';
import { echo, osCommands, reset, taskStat } from '../../src/groups/os/models.ts';
import { shellCommands, shellExec } from '../../src/groups/shell/models.ts';
import { statCommands, statShow } from '../../src/groups/stat/models.ts';
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type RequestOf,
  type ResponseOf,
  SmpGroup,
} from '../../src/smp/command.ts';
import { arrayOf, bool, SchemaError, struct, text, uint, withDefault } from '../../src/smp/schema.ts';

const hash = new Uint8Array(32).fill(0xab);

describe('field specs', () => {
  it('infers request and response types from the spec', () => {
    expectTypeOf<RequestOf<typeof echo>>().toEqualTypeOf<{ d: string }>();
    expectTypeOf<ResponseOf<typeof echo>>().toEqualTypeOf<{ r: string }>();
    expectTypeOf<RequestOf<typeof reset>>().toEqualTypeOf<{ force?: boolean | undefined }>();
    expectTypeOf<ImageStateResponse>().toEqualTypeOf<{
      images: ImageSlotState[];
      splitStatus?: number | undefined;
    }>();
    expectTypeOf<ImageSlotState>().toEqualTypeOf<{
      image?: number | undefined;
      slot: number;
      version: string;
      hash: Uint8Array;
      bootable: boolean;
      pending: boolean;
      confirmed: boolean;
      active: boolean;
      permanent: boolean;
    }>();
  });

  it('skips unknown keys and applies defaults on decode', () => {
    const spec = struct({ name: text(), count: withDefault(uint(), 7) });
    expect(spec.decode({ name: 'x', extra: 1, rc: 0 }, '')).toEqual({ name: 'x', count: 7 });
  });

  it('rejects wrong types with a message naming key, expectation and value', () => {
    expect(() => decodeRequest(imageStateWrite, { confirm: 1 })).toThrow(
      '"confirm" must be a boolean, got unsigned integer 1',
    );
    expect(() => decodeRequest(imageUpload, { off: 0, data: 'text' })).toThrow(
      '"data" must be a byte string, got text string "text"',
    );
    expect(() => decodeRequest(echo, {})).toThrow('"d" is required (a text string) but missing');
    const nested = arrayOf(struct({ ok: bool() }));
    try {
      nested.decode([{ ok: true }, { ok: 'yes' }], 'list');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SchemaError);
      expect((error as SchemaError).path).toBe('list[1].ok');
      expect((error as SchemaError).problem).toBe('type');
    }
    expect(() => decodeResponse(statShow, { name: 's', fields: { ticks: -1 } })).toThrow(
      '"fields.ticks" must be an unsigned integer, got negative integer -1',
    );
    expect(() => decodeResponse(echo, [1])).toThrow('"body" must be a map, got array (1 items)');
  });

  it('checks values on encode too', () => {
    expect(() => encodeRequest(echo, { d: 5 } as unknown as { d: string })).toThrow(
      /"d" must be a text string/,
    );
    expect(encodeRequest(reset, {})).toEqual({});
    expect(encodeRequest(imageUpload, { off: 0, data: Uint8Array.of(1), len: 10 })).toEqual({
      len: 10,
      off: 0,
      data: Uint8Array.of(1),
    });
  });
});

describe('group commands', () => {
  it('decodes a FRUGAL_LIST image state response with booleans defaulted to false', () => {
    const state = decodeResponse(imageStateRead, {
      images: [{ slot: 0, version: '1.0.0', hash, active: true }],
    });
    expect(state.images[0]).toEqual({
      slot: 0,
      version: '1.0.0',
      hash,
      bootable: false,
      pending: false,
      confirmed: false,
      active: true,
      permanent: false,
    });
    expect(state.splitStatus).toBeUndefined();
  });

  it('lets a server encode responses in schema key order', () => {
    const body = encodeResponse(imageStateRead, {
      images: [{ slot: 1, version: '1.2.3', hash, pending: true }],
      splitStatus: 0,
    });
    expect(Object.keys(body)).toEqual(['images', 'splitStatus']);
    expect(Object.keys((body.images as Record<string, unknown>[])[0] ?? {})).toEqual([
      'slot',
      'version',
      'hash',
      'pending',
    ]);
  });

  it('decodes task stats with signed priorities', () => {
    const tasks = decodeResponse(taskStat, { tasks: { main: { prio: -1, tid: 1, state: 0, stkuse: 10 } } });
    expect(tasks.tasks.main?.prio).toBe(-1);
  });

  it('has unique (group, id, op) keys and the required ids', () => {
    const all = [...osCommands, ...imageCommands, ...statCommands, ...shellCommands];
    const keys = all.map((c) => `${c.group}/${c.id}/${c.op}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(imageUpload).toMatchObject({ group: SmpGroup.Image, id: 1, op: 'write' });
    expect(statShow).toMatchObject({ group: 2, id: 0, op: 'read' });
    expect(shellExec).toMatchObject({ group: SmpGroup.Shell, id: 0, op: 'write' });
  });
});
