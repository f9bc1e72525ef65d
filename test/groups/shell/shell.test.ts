/** The device shell core (src/groups/shell/shell.ts) and shell_mgmt's line composition. */
import { describe, expect, it } from 'vitest';
import { GroupError } from '../../../src/device/server/mgmt-error.ts';
import { composeLine, SHELL_CMD_BUFF_SIZE } from '../../../src/groups/shell/server.ts';
import {
  DUMMY_BUF_SIZE,
  EINVAL,
  ENOEXEC,
  type ShellCommand,
  splitLine,
  ZephyrShell,
} from '../../../src/groups/shell/shell.ts';

const calls: string[][] = [];
const roots: ShellCommand[] = [
  {
    name: 'net',
    help: 'Networking',
    mandatory: 0,
    optional: 0,
    subcommands: [
      {
        name: 'ping',
        help: 'ping HOST [COUNT]',
        mandatory: 2,
        optional: 1,
        subcommands: [],
        handler: (out, argv) => {
          calls.push([...argv]);
          out.write(`pinging ${argv[1]}\nok\n`);
          return 0;
        },
      },
    ],
  },
  {
    name: 'flood',
    help: 'prints a lot',
    mandatory: 0,
    optional: 0,
    subcommands: [],
    handler: (out) => {
      out.write('x'.repeat(1000));
      return 0;
    },
  },
];
const shell = new ZephyrShell(() => roots);

describe('zephyr shell core', () => {
  it('splits a line on blanks, with quotes and backslashes', () => {
    expect(splitLine('  net   ping  a ')).toEqual(['net', 'ping', 'a']);
    expect(splitLine(`echo "a b" 'c d' e\\ f`)).toEqual(['echo', 'a b', 'c d', 'e f']);
    expect(splitLine('say ""')).toEqual(['say', '']);
    expect(splitLine('   ')).toEqual([]);
  });

  it('runs the subcommand the words name, handing it argv from its own name on; CR LF output', async () => {
    calls.length = 0;
    expect(await shell.execute('net ping 10.0.0.1')).toEqual({
      output: '\r\npinging 10.0.0.1\r\nok\r\n',
      ret: 0,
    });
    expect(calls).toEqual([['ping', '10.0.0.1']]);
  });

  it('answers an unknown command as Zephyr does: "<cmd>: command not found", -ENOEXEC', async () => {
    expect(await shell.execute('reboot now')).toEqual({
      output: '\r\nreboot: command not found\r\n',
      ret: -ENOEXEC,
    });
  });

  it('checks argument counts, asks for a subcommand, and names an unknown one', async () => {
    expect(await shell.execute('net ping')).toEqual({
      output: '\r\nping: wrong parameter count\r\n',
      ret: -EINVAL,
    });
    expect((await shell.execute('net ping a 1 extra')).ret).toBe(-EINVAL);
    expect(await shell.execute('net')).toEqual({
      output: '\r\nPlease specify a subcommand.\r\n',
      ret: -ENOEXEC,
    });
    expect(await shell.execute('net pong')).toEqual({
      output: '\r\nnet: unknown parameter: pong\r\n',
      ret: -EINVAL,
    });
    expect((await shell.execute('')).ret).toBe(-ENOEXEC);
  });

  it('keeps only what fits the dummy backend buffer (300 bytes with its NUL)', async () => {
    const { output, ret } = await shell.execute('flood');
    expect(ret).toBe(0);
    expect(output.length).toBe(DUMMY_BUF_SIZE - 1);
    expect(output).toBe(`\r\n${'x'.repeat(DUMMY_BUF_SIZE - 3)}`);
  });
});

describe("shell_mgmt's command line", () => {
  it('joins the text items with spaces; the first item that is not text ends the list', () => {
    expect(composeLine(['kernel', 'version'])).toBe('kernel version');
    expect(composeLine(['kernel', 7, 'version'])).toBe('kernel');
    expect(composeLine(['a', ''])).toBe('a ');
  });

  it('refuses a line of CONFIG_SHELL_CMD_BUFF_SIZE bytes or more (COMMAND_TOO_LONG), no text at all (EMPTY_COMMAND)', () => {
    const fits = ['x'.repeat(100), 'y'.repeat(SHELL_CMD_BUFF_SIZE - 1 - 101)];
    expect(composeLine(fits).length).toBe(SHELL_CMD_BUFF_SIZE - 1);
    const tooLong = ['x'.repeat(100), 'y'.repeat(SHELL_CMD_BUFF_SIZE - 101)];
    const error = (() => {
      try {
        composeLine(tooLong);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(GroupError);
    expect({ group: (error as GroupError).group, rc: (error as GroupError).rc }).toEqual({ group: 9, rc: 2 });
    for (const argv of [[], [5], [null]]) {
      expect(() => composeLine(argv)).toThrow(GroupError);
      try {
        composeLine(argv);
      } catch (e) {
        expect((e as GroupError).rc).toBe(3);
      }
    }
  });
});
