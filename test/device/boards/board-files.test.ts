/**
 * Board files: every built-in one loads and passes its checks, and a bad one is refused with
 * every problem named by its field, in words a user can act on.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deviceSize, findPartition, slotPartition } from '../../../src/device/boards/board.ts';
import { boardProblems } from '../../../src/device/boards/check.ts';
import { BoardFileError, getBoard } from '../../../src/device/boards/index.ts';
import {
  boardFromData,
  boardFromText,
  builtinBoardDir,
  builtinBoards,
  loadBoardFile,
} from '../../../src/device/boards/load.ts';

// biome-ignore lint/suspicious/noExplicitAny: YAML data broken on purpose, one field at a time
type Data = Record<string, any>;

/** A built-in board file as plain data, to break on purpose. */
function data(name: string): Data {
  return parse(readFileSync(join(builtinBoardDir(), `${name}.yaml`), 'utf8')) as Data;
}

function partition(d: Data, label: string): Data {
  return (d.partitions as Data[]).find((p) => p.label === label) as Data;
}

/** The problems boardFromData reports, one string each. */
function problems(d: Data): string[] {
  try {
    boardFromData(d, 'my_board.yaml');
  } catch (error) {
    if (error instanceof BoardFileError) return [...error.problems];
    throw error;
  }
  return [];
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('built-in board files', () => {
  it('all load and pass every check', () => {
    const boards = builtinBoards();
    expect([...boards.keys()]).toEqual([
      'esp32_devkitc_wroom',
      'nrf52840dk',
      'nrf52840dk_ext_flash',
      'nrf5340dk',
      'stm32f4_disco',
    ]);
    for (const board of boards.values()) expect(boardProblems(board), board.name).toEqual([]);
  });

  it("stm32f4_disco is the user's build: slot 0 at 0x40000, Zephyr v3.5.0, swap using scratch", () => {
    const board = getBoard('stm32f4_disco');
    expect(slotPartition(board, 0).offset).toBe(0x40000);
    expect(board.versions.zephyr).toBe('zephyr-v3.5.0');
    expect(board.bootBanner).toEqual(['*** Booting Zephyr OS build zephyr-v3.5.0 ***']);
    expect(board.mcuboot.mode).toBe('swap-scratch');
    expect(board.devicetree.aliases.led0).toMatchObject({ port: 'gpiod', pin: 12, flags: 0 });
  });

  it('nrf52840dk_ext_flash keeps slot 1 on the external MX25R64, with its own geometry', () => {
    const board = getBoard('nrf52840dk_ext_flash');
    const slot1 = slotPartition(board, 1);
    expect(slot1.device).toBe('mx25r64');
    const mx = board.flashDevices.find((d) => d.id === 'mx25r64');
    expect(mx).toMatchObject({ kind: 'qspi-nor', writeBlockSize: 4 });
    expect(deviceSize(mx!)).toBe(8 * 1024 * 1024);
    expect(findPartition(board, 'slot0_partition')?.device).toBe('flash0');
  });

  it('nrf52840dk is swap-using-move with ECDSA-P256 and a radio; nrf5340dk has two images', () => {
    const nrf52 = getBoard('nrf52840dk');
    expect([nrf52.mcuboot.mode, nrf52.mcuboot.signature, nrf52.ble !== undefined]).toEqual([
      'swap-move',
      'ecdsa-p256',
      true,
    ]);
    const nrf53 = getBoard('nrf5340dk');
    expect(nrf53.mcuboot.imageNumber).toBe(2);
    expect(slotPartition(nrf53, 0, 1).device).toBe('flash1');
  });
});

describe('a bad board file is refused, naming the field and the problem', () => {
  it('a missing field, or one out of range', () => {
    const d = data('stm32f4_disco');
    delete d.mcuboot.signature;
    delete d.appBanner;
    d.partitions[0].size = 0;
    expect(problems(d)).toEqual([
      'partitions[0] (boot_partition).size: must be greater than 0 (got 0)',
      'mcuboot.signature: is missing (it must be one of "rsa-2048", "rsa-3072", "ecdsa-p256", "ed25519", "none")',
      'appBanner: is missing (it must be a text)',
    ]);
  });

  it('a partition outside its flash device', () => {
    const d = data('stm32f4_disco');
    partition(d, 'scratch_partition').size = 0x60000;
    expect(problems(d)).toContain(
      'partitions[4] (scratch_partition): 0xc0000..0x120000 does not fit in flash0, which is 0x100000 bytes (it ends 0x20000 bytes past the end)',
    );
  });

  it('overlapping partitions', () => {
    const d = data('stm32f4_disco');
    partition(d, 'slot1_partition').offset = 0x60000;
    expect(problems(d)).toContain(
      'partitions[3] (slot1_partition): 0x60000..0xa0000 overlaps slot0_partition (0x40000..0x80000) on flash0',
    );
  });

  it('a partition off the sector boundaries', () => {
    const d = data('stm32f4_disco');
    partition(d, 'scratch_partition').offset = 0xc1000;
    partition(d, 'scratch_partition').size = 0x1f000;
    expect(problems(d).join('\n')).toMatch(
      /scratch_partition\): 0xc1000\.\.0xe0000 does not start and end on sector boundaries/,
    );
  });

  it('slot sizes the strategy cannot swap', () => {
    const scratch = data('stm32f4_disco');
    partition(scratch, 'slot1_partition').size = 0x20000;
    expect(problems(scratch)).toEqual([
      'mcuboot.mode: swap-using-scratch swaps equal slots, but slot0_partition is 0x40000 bytes, slot1_partition 0x20000',
    ]);
    const move = data('nrf52840dk');
    partition(move, 'slot1_partition').size = 0x74000;
    expect(problems(move)).toEqual([
      'mcuboot.mode: swap-move needs the primary slot to have as many sectors as the other or one more, but slot0_partition has 118 and slot1_partition 116',
    ]);
  });

  it('an unknown flash device', () => {
    const d = data('nrf52840dk_ext_flash');
    partition(d, 'slot1_partition').device = 'mx25r6';
    expect(problems(d)).toEqual([
      `partitions[3] (slot1_partition).device: flash device "mx25r6" is not one of this board's flash devices (flash0, mx25r64)`,
    ]);
  });

  it('a missing slot, a misspelt field, a wrong type: all reported at once', () => {
    const d = data('stm32f4_disco');
    d.mcuboot.imageNumbr = 2;
    d.flashDevices[0].writeBlockSize = 'one';
    expect(problems(d)).toEqual([
      'flashDevices[0] (flash0).writeBlockSize: must be a number, not "one"',
      'mcuboot: has unknown field "imageNumbr" (misspelt?)',
    ]);
    const noSlot = data('stm32f4_disco');
    noSlot.partitions = (noSlot.partitions as Data[]).filter((p) => p.label !== 'slot1_partition');
    expect(problems(noSlot)).toEqual([
      "partitions: there is no slot1_partition, which is image 0's secondary slot",
    ]);
  });

  it('a file that is not YAML, or not a board, and a path that is neither', () => {
    expect(() => boardFromText('name: [unclosed', 'x.yaml')).toThrow(
      /^board file x\.yaml: is not valid YAML/,
    );
    expect(() => boardFromText('- a\n- b\n', 'x.yaml')).toThrow(/must be a map of fields/);
    expect(() => boardFromText('name: x\n', 'x.yaml')).toThrow(
      'board file x.yaml has 11 problems: description: is missing (it must be a text); flashDevices: is missing (it must be a list); ',
    );
    expect(() => getBoard('stm32f4_discovery')).toThrow(
      /stm32f4_discovery: is neither a built-in board \(esp32_devkitc_wroom, nrf52840dk, .*\) nor a board file/,
    );
  });

  it("the user's own file by path: loaded and checked the same way", () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdfu-board-'));
    dirs.push(dir);
    const good = join(dir, 'my_board.yaml');
    const text = readFileSync(join(builtinBoardDir(), 'stm32f4_disco.yaml'), 'utf8').replace(
      'name: stm32f4_disco',
      'name: my_board',
    );
    writeFileSync(good, text);
    expect(getBoard(good).name).toBe('my_board');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, text.replace('offset: 0x80000, size: 0x40000', 'offset: 0x80000, size: 0x20000'));
    expect(() => loadBoardFile(bad)).toThrow(
      `board file ${bad}: mcuboot.mode: swap-using-scratch swaps equal slots`,
    );
    expect(() => loadBoardFile(join(dir, 'none.yaml'))).toThrow(/none\.yaml: cannot be read \(ENOENT\)/);
  });
});
