import { describe, expect, it } from 'vitest';
import { formatHostPort, HostPortError, parseHostPort } from '../../src/transport/host-port.ts';

describe('parseHostPort (the one host:port parser)', () => {
  it.each([
    ['127.0.0.1:1337', '127.0.0.1', 1337],
    ['[::1]:4000', '::1', 4000],
    ['[2001:db8::1]', '2001:db8::1', 1337],
    ['2001:db8::1', '2001:db8::1', 1337],
    ['fe80::1', 'fe80::1', 1337],
    ['device.local', 'device.local', 1337],
    ['device.local:5683', 'device.local', 5683],
    [' 10.0.0.2:7 ', '10.0.0.2', 7],
  ])('reads %j', (text, host, port) => {
    expect(parseHostPort(text, { defaultPort: 1337 })).toEqual({ host, port });
  });

  it.each([
    ['127.0.0.1:abc', 'Address port "abc" is not a whole number.'],
    ['127.0.0.1:65536', 'Address port 65536 is out of range (1..65535).'],
    ['127.0.0.1:0', 'Address port 0 is out of range (1..65535).'],
    ['[::1]:', 'Address port "" is not a whole number.'],
    [':1337', 'Address ":1337" has an empty host.'],
    ['[]:1337', 'Address "[]:1337" has an empty host.'],
    ['[::1', 'Address "[::1" has "[" without "]".'],
    ['[::1]x', 'Address "[::1]x" has "x" after "]"; expected ":PORT" (e.g. 127.0.0.1:1337 or [::1]:1337).'],
    ['', 'Address is empty; expected HOST:PORT (e.g. 127.0.0.1:1337 or [::1]:1337).'],
  ])('rejects %j in words', (text, message) => {
    expect(() => parseHostPort(text, { defaultPort: 1337 })).toThrow(new HostPortError(message, text));
  });

  it('requires a port when there is no default, and takes port 0 for a listener', () => {
    expect(() => parseHostPort('localhost', { label: 'UDP address' })).toThrow(
      'UDP address "localhost" has no port; expected HOST:PORT (e.g. 127.0.0.1:1337 or [::1]:1337).',
    );
    expect(() => parseHostPort('::1')).toThrow(/has no port/);
    expect(parseHostPort('127.0.0.1:0', { minPort: 0 })).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseHostPort('[::1]:0', { minPort: 0 })).toEqual({ host: '::1', port: 0 });
  });

  it('formats IPv6 hosts in brackets, and reads its own output back', () => {
    for (const address of [
      { host: '::1', port: 1337 },
      { host: '192.168.1.1', port: 5683 },
      { host: 'board.local', port: 1 },
    ]) {
      expect(parseHostPort(formatHostPort(address))).toEqual(address);
    }
    expect(formatHostPort({ host: '::1', port: 9 })).toBe('[::1]:9');
  });
});
