import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/program.ts';
import { deviceRequestLimit, requestLimit } from '../../src/client/upload-sizing.ts';
import { ConnStringError, type KindDescriptor } from '../../src/transport/kinds/kind.ts';
import {
  connTypeList,
  connTypes,
  describeTarget,
  findKind,
  parseConnType,
  registerKind,
} from '../../src/transport/kinds/registry.ts';
import { serialKind } from '../../src/transport/kinds/serial.ts';
import { udpKind } from '../../src/transport/kinds/udp.ts';

describe('serial kind', () => {
  it.each([
    'dev=/dev/ttyACM0,baud=115200,mtu=256',
    'dev=/dev/ttyUSB1,baud=9600',
    'dev=COM3,baud=1000000,mtu=2048',
  ])('round-trips %j', (text) => {
    const target = serialKind.parse(text);
    expect(serialKind.format(target)).toBe(text);
    expect(serialKind.parse(serialKind.format(target))).toEqual(target);
  });

  it('writes a bare path back in the canonical spelling', () => {
    expect(serialKind.format(serialKind.parse('/dev/ttyACM0'))).toBe('dev=/dev/ttyACM0,baud=115200');
  });

  it.each([
    [
      'dev=/dev/ttyACM0,parity=none',
      'Serial connstring has unknown key "parity"; known keys are dev, baud, mtu.',
    ],
    ['baud=115200,mtu=256', 'Serial connstring "baud=115200,mtu=256" has no "dev=PATH".'],
    ['dev=/dev/ttyACM0,baud=-1', 'Connstring baud "-1" is not a whole number.'],
    ['dev=/dev/ttyACM0,mtu=70000', 'Connstring mtu 70000 is out of range (96..65533).'],
    // Larger than the serial frame's 16-bit length (packet + CRC) can carry.
    ['dev=/dev/ttyACM0,mtu=65534', 'Connstring mtu 65534 is out of range (96..65533).'],
  ])('rejects %j in words', (text, message) => {
    expect(() => serialKind.parse(text)).toThrow(new ConnStringError(message, text));
  });

  it('names its target and sizes requests for the netbuf its framing shares', () => {
    expect(describeTarget(serialKind.parse('/dev/ttyACM0'))).toEqual({
      where: 'serial port /dev/ttyACM0',
      id: '/dev/ttyACM0',
    });
    // Length (2) and CRC (2) sit in the same netbuf as the packet (Zephyr smp_uart.c).
    expect(serialKind.deviceRequestLimit(2048)).toBe(2044);
    expect(serialKind.unreportedRequestLimit).toBe(256);
  });
});

describe('udp kind', () => {
  it.each(['127.0.0.1:1337', '[::1]:4000', 'board.local:5683'])('round-trips %j', (text) => {
    const target = udpKind.parse(text);
    expect(udpKind.format(target)).toBe(text);
    expect(udpKind.parse(udpKind.format(target))).toEqual(target);
  });

  it('fills port 1337 and brackets a bare IPv6 host when written back', () => {
    expect(udpKind.format(udpKind.parse('fe80::1'))).toBe('[fe80::1]:1337');
    expect(udpKind.format(udpKind.parse('localhost'))).toBe('localhost:1337');
  });

  it.each([
    ['127.0.0.1:0', 'Connstring port 0 is out of range (1..65535).'],
    ['[::1]:http', 'Connstring port "http" is not a whole number.'],
    ['host:', 'Connstring port "" is not a whole number.'],
  ])('rejects %j in words, as a connstring error', (text, message) => {
    expect(() => udpKind.parse(text)).toThrow(new ConnStringError(message, text));
  });

  it('names its target and carries the whole device buffer', () => {
    expect(describeTarget(udpKind.parse('[::1]:9'))).toEqual({ where: 'UDP [::1]:9', id: '::1' });
    expect(udpKind.deviceRequestLimit(2048)).toBe(2048);
    expect(udpKind.unreportedRequestLimit).toBeUndefined();
  });
});

describe('the kind registry', () => {
  it('holds serial, udp and ble, in that order, and names them in sentences', () => {
    expect(connTypes()).toEqual(['serial', 'udp', 'ble']);
    expect(connTypeList()).toBe('serial, udp or ble');
    expect(connTypeList(true)).toBe('"serial", "udp" or "ble"');
    expect(findKind('memory')).toBeUndefined();
  });

  it('sizes uploads through the kind; a link of no kind carries the device buffer as is', () => {
    expect(deviceRequestLimit('serial', 512)).toBe(508);
    expect(deviceRequestLimit('udp', 512)).toBe(512);
    expect(deviceRequestLimit('memory', 512)).toBe(512);
    expect(requestLimit(4096, 'memory', undefined)).toBe(4096);
  });

  it('a kind registered later is a --conntype choice, parses, and sizes uploads', () => {
    // A stand-in for a kind a later module (or a browser build) registers: its own framing
    // keeps 10 bytes of the device buffer and it falls back to 200 bytes.
    const loop = {
      type: 'loop',
      syntax: 'NAME',
      parse: (text: string) => ({ type: 'loop', name: text }),
      format: (target: { name: string }) => target.name,
      describe: (target: { name: string }) => ({ where: `loop ${target.name}`, id: target.name }),
      deviceRequestLimit: (bufSize: number) => bufSize - 10,
      unreportedRequestLimit: 200,
    } as unknown as KindDescriptor<'udp'>;
    registerKind(loop);
    expect(connTypes()).toEqual(['serial', 'udp', 'ble', 'loop']);
    expect(parseConnType('loop')).toBe('loop');
    expect(connTypeList()).toBe('serial, udp, ble or loop');
    expect(requestLimit(4096, 'loop', 512)).toBe(502);
    expect(requestLimit(4096, 'loop', undefined)).toBe(200);
    const help = createProgram({
      stdout: { write: () => true },
      stderr: { write: () => true },
    }).program.helpInformation();
    expect(help).toMatch(/\(choices:\s+"serial",\s+"udp",\s+"ble",\s+"loop"\)/);
    expect(help.replace(/\s+/g, ' ')).toContain(
      'udp: HOST[:PORT] or [IPV6]:PORT; ble: peer_name=NAME|peer_id=ADDRESS[,hci=N|hci=uart:PATH][,scan=SECONDS]; loop: NAME)',
    );
  });
});
