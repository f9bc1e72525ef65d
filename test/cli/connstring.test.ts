import { describe, expect, it } from 'vitest';
import { ConnStringError } from '../../src/transport/kinds/kind.ts';
import { formatConnTarget, parseConnString, parseConnType } from '../../src/transport/kinds/registry.ts';

describe('serial connstrings', () => {
  it('reads dev, baud and mtu', () => {
    expect(parseConnString('serial', 'dev=/dev/ttyUSB0,baud=115200,mtu=256')).toEqual({
      type: 'serial',
      path: '/dev/ttyUSB0',
      baudRate: 115200,
      mtu: 256,
    });
  });

  it('accepts a bare path and fills the defaults', () => {
    expect(parseConnString('serial', '/dev/ttyACM0')).toEqual({
      type: 'serial',
      path: '/dev/ttyACM0',
      baudRate: 115200,
    });
  });

  it('accepts keys in any order with spaces around them', () => {
    expect(parseConnString('serial', ' mtu=512 , dev=COM3')).toMatchObject({ path: 'COM3', mtu: 512 });
  });

  it.each([
    ['dev=/dev/ttyUSB0,speed=9600', /unknown key "speed"/],
    ['baud=115200', /no "dev=PATH"/],
    ['dev=/dev/ttyUSB0,baud=fast', /baud "fast" is not a whole number/],
    ['dev=/dev/ttyUSB0,mtu=10', /mtu 10 is out of range/],
    ['dev=/dev/ttyUSB0,dev=/dev/ttyUSB1', /"dev" twice/],
    ['dev=/dev/ttyUSB0,baud', /"baud" is not KEY=VALUE/],
    ['dev=', /empty "dev"/],
    ['', /empty/],
  ])('rejects %j naming the bad part', (text, message) => {
    expect(() => parseConnString('serial', text)).toThrow(message);
    expect(() => parseConnString('serial', text)).toThrow(ConnStringError);
  });
});

describe('udp connstrings', () => {
  it.each([
    ['127.0.0.1:1337', '127.0.0.1', 1337],
    ['192.168.1.1:4000', '192.168.1.1', 4000],
    ['[::1]:1337', '::1', 1337],
    ['[2001:db8::1]', '2001:db8::1', 1337],
    ['2001:db8::1', '2001:db8::1', 1337],
    ['localhost', 'localhost', 1337],
  ])('parses %j', (text, host, port) => {
    expect(parseConnString('udp', text)).toEqual({ type: 'udp', host, port });
  });

  it.each([
    ['127.0.0.1:99999', /port 99999 is out of range/],
    ['127.0.0.1:abc', /port "abc" is not a whole number/],
    [':1337', /empty host/],
    ['[::1', /"\[" without "\]"/],
    ['[::1]1337', /expected ":PORT"/],
  ])('rejects %j naming the bad part', (text, message) => {
    expect(() => parseConnString('udp', text)).toThrow(message);
  });

  it('round-trips through formatConnTarget', () => {
    for (const text of ['[::1]:1337', '10.0.0.2:1337']) {
      expect(formatConnTarget(parseConnString('udp', text))).toBe(text);
    }
    expect(formatConnTarget(parseConnString('serial', '/dev/ttyS1'))).toBe('dev=/dev/ttyS1,baud=115200');
    expect(formatConnTarget(parseConnString('serial', 'dev=/dev/ttyS1,mtu=512'))).toBe(
      'dev=/dev/ttyS1,baud=115200,mtu=512',
    );
  });
});

describe('connection types', () => {
  it('knows serial, udp and ble only', () => {
    expect(parseConnType('udp')).toBe('udp');
    expect(parseConnType('ble')).toBe('ble');
    expect(() => parseConnType('tcp')).toThrow(
      /Unknown connection type "tcp"; expected one of: serial, udp, ble/,
    );
  });
});
