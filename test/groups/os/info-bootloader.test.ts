/**
 * os info (7) and bootloader info (8) as Zephyr v3.5.0's os_mgmt.c answers them, on a bare SMP
 * server for a board's data, with SMP v1 and v2 headers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Board } from '../../../src/device/boards/board.ts';
import { getBoard } from '../../../src/device/boards/index.ts';
import { smpServerBuild } from '../../../src/device/server/build-config.ts';
import { bootloaderInformation, osInfoText } from '../../../src/groups/os/client.ts';
import { bootloaderInfo, osInfo } from '../../../src/groups/os/models.ts';
import { INFO_MAX_RESPONSE_SIZE, registerOsGroup } from '../../../src/groups/os/server.ts';
import { defineCommand } from '../../../src/smp/command.ts';
import { SmpError } from '../../../src/smp/errors.ts';
import { int } from '../../../src/smp/schema.ts';
import { rejection, type ServerLink, serverLink } from '../server-link.ts';

let link: ServerLink | undefined;
afterEach(async () => {
  await link?.close();
  link = undefined;
});

function serve(board: Board): ServerLink {
  link = serverLink();
  registerOsGroup(link.server, { board, build: smpServerBuild(board), requestReset: () => undefined });
  return link;
}

function withBoard(base: Board, change: Partial<Board>): Board {
  return { ...base, ...change };
}

async function smpError(call: Promise<unknown>): Promise<SmpError> {
  const error = await rejection(call);
  expect(error).toBeInstanceOf(SmpError);
  return error as SmpError;
}

describe('os info', () => {
  const board = getBoard('stm32f4_disco');

  it('answers each format letter in Zephyr order: r the build tag, v the kernel version', async () => {
    const smp = serve(board).client(2).smp;
    expect(await osInfoText(smp, 'a')).toBe(
      'Zephyr unknown zephyr-v3.5.0 3.5.0 arm cortex-m4 stm32f4_disco Zephyr',
    );
    expect(await osInfoText(smp, 'v')).toBe('3.5.0');
    expect(await osInfoText(smp, 'ovs')).toBe('Zephyr 3.5.0 Zephyr');
    // A repeated letter is still one field; "aa" is two valid letters.
    expect(await osInfoText(smp, 'ss')).toBe('Zephyr');
    expect(await osInfoText(smp, 'aa')).toBe(await osInfoText(smp, 'a'));
  });

  it('answers the kernel name for no format and for an empty one', async () => {
    const smp = serve(board).client(2).smp;
    expect(await osInfoText(smp)).toBe('Zephyr');
    expect(await osInfoText(smp, '')).toBe('Zephyr');
  });

  it('refuses an unknown letter and b (no CONFIG_MCUMGR_GRP_OS_INFO_BUILD_DATE_TIME): INVALID_FORMAT, v1 EINVAL', async () => {
    const served = serve(board);
    for (const format of ['q', 'b', 'sX', 'S']) {
      const v2 = await smpError(osInfoText(served.client(2).smp, format));
      expect({ kind: v2.detail.kind, group: v2.group, rc: v2.rc, code: v2.codeName }).toEqual({
        kind: 'group',
        group: 0,
        rc: 2,
        code: 'INVALID_FORMAT',
      });
      const v1 = await smpError(osInfoText(served.client(1).smp, format));
      expect({ kind: v1.detail.kind, rc: v1.rc }).toEqual({ kind: 'rc', rc: 3 });
    }
  });

  it('answers EMSGSIZE when the output does not fit its 256-byte buffer', async () => {
    // Output length = fixed fields + the processor name: find the name that just fits.
    const fixed = 'Zephyr unknown zephyr-v3.5.0 3.5.0 arm  stm32f4_disco Zephyr'.length;
    const fits = 'p'.repeat(INFO_MAX_RESPONSE_SIZE - 1 - fixed);
    const fitting = withBoard(board, { cpu: { arch: 'arm', processor: fits } });
    expect((await osInfoText(serve(fitting).client(2).smp, 'a')).length).toBe(INFO_MAX_RESPONSE_SIZE - 1);
    await link?.close();
    const tooLong = withBoard(board, { cpu: { arch: 'arm', processor: `${fits}p` } });
    const served = serve(tooLong);
    const error = await smpError(served.client(2).smp.request(osInfo, { format: 'a' }));
    expect({ kind: error.detail.kind, rc: error.rc }).toEqual({ kind: 'rc', rc: 7 });
    // The fields that fit are still answered.
    expect(await osInfoText(served.client(2).smp, 's')).toBe('Zephyr');
  });

  it('refuses a format or a query that is not text (EINVAL)', async () => {
    const served = serve(board);
    const numericFormat = defineCommand({ ...osInfo, request: { format: int() }, response: {} });
    const numericQuery = defineCommand({ ...bootloaderInfo, request: { query: int() }, response: {} });
    for (const version of [1, 2] as const) {
      const smp = served.client(version).smp;
      for (const call of [
        smp.request(numericFormat, { format: 5 }),
        smp.request(numericQuery, { query: 5 }),
      ]) {
        const error = await smpError(call);
        expect({ kind: error.detail.kind, rc: error.rc }).toEqual({ kind: 'rc', rc: 3 });
      }
    }
  });
});

describe('bootloader info', () => {
  const board = getBoard('stm32f4_disco');

  it('introduces MCUboot without a query and answers the mode of each strategy', async () => {
    const smp = serve(board).client(2).smp;
    expect(await bootloaderInformation(smp)).toEqual({ bootloader: 'MCUboot' });
    expect(await bootloaderInformation(smp, 'mode')).toEqual({ mode: 1 });
    const modes: Array<[Board['mcuboot']['mode'], number]> = [
      ['overwrite-only', 2],
      ['swap-move', 3],
      ['direct-xip', 4],
      ['direct-xip-revert', 5],
      // v3.5.0 maps no Kconfig choice to these: its #else answers -1.
      ['ram-load', -1],
      ['swap-offset', -1],
    ];
    for (const [mode, number] of modes) {
      await link?.close();
      const other = withBoard(board, { mcuboot: { ...board.mcuboot, mode } });
      expect(await bootloaderInformation(serve(other).client(2).smp, 'mode')).toEqual({ mode: number });
    }
  });

  it('never sends no-downgrade from v3.5.0 (the CONFIG_ prefix is missing there), and does from v3.7.0', async () => {
    const preventing = { ...board.mcuboot, downgradePrevention: true };
    const v35 = withBoard(board, { mcuboot: preventing });
    expect(await bootloaderInformation(serve(v35).client(2).smp, 'mode')).toEqual({ mode: 1 });
    await link?.close();
    const v37 = withBoard(board, {
      mcuboot: preventing,
      versions: { ...board.versions, zephyr: 'zephyr-v3.7.0' },
    });
    expect(await bootloaderInformation(serve(v37).client(2).smp, 'mode')).toEqual({
      mode: 1,
      noDowngrade: true,
    });
    await link?.close();
    const v37allowing = withBoard(board, { versions: { ...board.versions, zephyr: 'zephyr-v3.7.0' } });
    expect(await bootloaderInformation(serve(v37allowing).client(2).smp, 'mode')).toEqual({ mode: 1 });
  });

  it('answers an unknown query with a bare rc 3 in v1 and v2 (v3.5.0 returns QUERY_YIELDS_NO_ANSWER as the SMP result)', async () => {
    const served = serve(board);
    for (const version of [1, 2] as const) {
      const error = await smpError(bootloaderInformation(served.client(version).smp, 'colour'));
      expect({ kind: error.detail.kind, rc: error.rc }).toEqual({ kind: 'rc', rc: 3 });
    }
    // Case matters: "Mode" is not "mode".
    const error = await smpError(bootloaderInformation(served.client(2).smp, 'Mode'));
    expect(error.rc).toBe(3);
  });
});
