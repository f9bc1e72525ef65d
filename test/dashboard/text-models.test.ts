import { describe, expect, it } from 'vitest';
import { CommandLineError, splitCommandLine } from '../../src/dashboard/model/command-line.ts';
import { ConsoleBuffer } from '../../src/dashboard/model/console-buffer.ts';
import { serveHintFrom, splitPrintedServeUrl, withoutToken } from '../../src/dashboard/model/page-link.ts';

describe('splitCommandLine (shell view)', () => {
  it('splits on whitespace and keeps quoted spaces', () => {
    expect(splitCommandLine('  led rate   4 ')).toEqual(['led', 'rate', '4']);
    expect(splitCommandLine(`echo "a b" 'c d' e\\ f`)).toEqual(['echo', 'a b', 'c d', 'e f']);
    expect(splitCommandLine('x ""')).toEqual(['x', '']);
    expect(splitCommandLine('')).toEqual([]);
  });

  it('names the column of an unclosed quote', () => {
    expect(() => splitCommandLine('echo "oops')).toThrow(CommandLineError);
    expect(() => splitCommandLine('echo "oops')).toThrow('column 6');
  });
});

describe('ConsoleBuffer', () => {
  it('joins pieces and turns CR LF into LF', () => {
    const b = new ConsoleBuffer();
    b.append('*** Booting Zep');
    b.append('hyr ***\r\nI: hello\r');
    b.append('\n');
    expect(b.toString()).toBe('*** Booting Zephyr ***\nI: hello\n');
  });

  it('keeps the last characters, cut at a line start', () => {
    const b = new ConsoleBuffer(20);
    b.append('line one\nline two\nline three\n');
    expect(b.toString()).toBe('line three\n');
    expect(b.toString().length).toBeLessThanOrEqual(20);
  });
});

describe('serve hint from the page URL', () => {
  it('takes the token from the fragment and the bridge from the page origin', () => {
    expect(serveHintFrom({ href: 'http://127.0.0.1:8117/#token=abc', hash: '#token=abc' })).toEqual({
      url: 'http://127.0.0.1:8117',
      token: 'abc',
    });
  });

  it('has no bridge without a token, or on a file: page', () => {
    expect(serveHintFrom({ href: 'https://example.org/zdfu/', hash: '' })).toEqual({
      url: undefined,
      token: undefined,
    });
    expect(serveHintFrom({ href: 'file:///x/index.html#token=t', hash: '#token=t' }).url).toBeUndefined();
  });

  it('drops only the token from the address', () => {
    expect(withoutToken('http://127.0.0.1:8117/#token=abc')).toBe('http://127.0.0.1:8117/');
    expect(withoutToken('http://h/p#token=abc&view=x')).toBe('http://h/p#view=x');
  });
});

describe('the URL zdfu serve prints, pasted', () => {
  it('splits into the bridge and its token', () => {
    expect(splitPrintedServeUrl(' http://127.0.0.1:8117/#token=s3cret ')).toEqual({
      url: 'http://127.0.0.1:8117',
      token: 's3cret',
    });
  });

  it('is nothing special without a token or when not a URL', () => {
    expect(splitPrintedServeUrl('http://127.0.0.1:8117/')).toBeUndefined();
    expect(splitPrintedServeUrl('127.0.0.1:8117')).toBeUndefined();
  });
});
