/** The serve's wire protocol: every message checked, and a bad one named precisely. */
import { describe, expect, it } from 'vitest';
import {
  type ClientMessage,
  decodeClientFrame,
  decodeServerFrame,
  encodeMessage,
  parseServeUrl,
  SERVE_MAX_MESSAGE_BYTES,
  ServeProtocolError,
  type ServerMessage,
  serveCloseName,
  serveSocketUrl,
} from '../../src/serve/protocol.ts';

describe('decoding', () => {
  it('round-trips every control message', () => {
    const server = [
      { type: 'hello', protocol: 1, server: 'zdfu serve' },
      {
        type: 'targets',
        targets: [{ id: 'sim:x/udp', kind: 'udp', source: 'sim', label: 'x', detail: 'udp' }],
      },
      { type: 'opened', target: 'sim:x/udp', kind: 'udp', mtu: 1024 },
      { type: 'opened', target: 'profile:b', kind: 'ble', mtu: 498, fragmentSize: 244 },
      { type: 'console', text: 'hello\n' },
      { type: 'link-error', message: 'gone', closed: true },
      { type: 'closed', reason: 'gone' },
      { type: 'error', code: 'busy', message: 'in use' },
    ] satisfies ServerMessage[];
    for (const message of server) expect(decodeServerFrame(encodeMessage(message))).toEqual(message);
    const client = [
      { type: 'hello', protocol: 1, token: 't' },
      { type: 'list' },
      { type: 'open', target: 'port:/dev/ttyACM0' },
    ] satisfies ClientMessage[];
    for (const message of client) expect(decodeClientFrame(encodeMessage(message))).toEqual(message);
  });

  it('binary frames are packets of at least a header and at most the limit', () => {
    const packet = new Uint8Array(8);
    expect(decodeClientFrame(packet)).toEqual({ type: 'packet', packet });
    expect(() => decodeClientFrame(new Uint8Array(3))).toThrow(
      'page sent a binary frame of 3 bytes: an SMP packet has at least its 8-byte header',
    );
    expect(() => decodeServerFrame(new Uint8Array(SERVE_MAX_MESSAGE_BYTES + 1))).toThrow(
      `zdfu serve sent a binary frame of ${SERVE_MAX_MESSAGE_BYTES + 1} bytes, over the ${SERVE_MAX_MESSAGE_BYTES}-byte limit`,
    );
  });

  it('names what is wrong with a bad message', () => {
    const cases: [string, string][] = [
      [
        '{"type":"opened","target":"a","kind":"udp","mtu":"1024"}',
        'field "mtu": expected number, got string',
      ],
      [
        '{"type":"opened","target":"a","kind":"udp","mtu":1.5}',
        'field "mtu": expected a whole number, got 1.5',
      ],
      ['{"type":"opened","target":"a","kind":"udp","mtu":0}', 'field "mtu": 0 is too small (more than 0)'],
      [
        '{"type":"opened","target":"a","kind":"carrier-pigeon","mtu":1}',
        'field "kind": not a connection type zdfu knows (serial, udp or ble)',
      ],
      ['{"type":"teleport"}', 'field "type": unknown value "teleport"'],
      ['{"text":"x"}', 'field "type": missing'],
      ['{"type":"console","text":"x","extra":1}', 'message: unknown field "extra"'],
      [
        '{"type":"error","code":"nope","message":"m"}',
        'field "code": expected "bad-message" or "protocol-version"',
      ],
      ['{"type":"closed","reason":"x"}x', 'not JSON'],
    ];
    for (const [text, words] of cases) {
      let failure: unknown;
      try {
        decodeServerFrame(text);
      } catch (error) {
        failure = error;
      }
      expect(failure, text).toBeInstanceOf(ServeProtocolError);
      expect((failure as Error).message, text).toContain(words);
    }
    expect(() => decodeClientFrame('{"type":"open"}')).toThrow(
      'page sent a bad message {"type":"open"}: field "target"',
    );
  });

  it('hellos ignore fields they do not know (a later version is told its version, not "malformed")', () => {
    expect(decodeClientFrame('{"type":"hello","protocol":2,"token":"t","features":[]}')).toEqual({
      type: 'hello',
      protocol: 2,
      token: 't',
    });
  });
});

describe('addresses', () => {
  it('reads the printed URL into origin and token', () => {
    expect(parseServeUrl(' http://127.0.0.1:8117/#token=abc_-9 ')).toEqual({
      url: 'http://127.0.0.1:8117',
      token: 'abc_-9',
    });
    expect(() => parseServeUrl('http://127.0.0.1:8117/')).toThrow(
      'the URL http://127.0.0.1:8117 has no #token=…: copy the whole URL zdfu serve printed, with its token',
    );
    expect(() => parseServeUrl('nonsense')).toThrow(
      '"nonsense" is not a URL: copy the URL zdfu serve printed',
    );
  });

  it('turns the page origin into the socket address', () => {
    expect(serveSocketUrl('http://127.0.0.1:8117')).toBe('ws://127.0.0.1:8117/zdfu/ws');
    expect(serveSocketUrl('http://localhost:8117/some/page?x#token=y')).toBe('ws://localhost:8117/zdfu/ws');
    expect(serveSocketUrl('https://h.example')).toBe('wss://h.example/zdfu/ws');
    expect(() => serveSocketUrl('ftp://x')).toThrow('not an http or ws URL');
  });

  it('knows its close codes', () => {
    expect(serveCloseName(4001)).toBe('wrongToken');
    expect(serveCloseName(4003)).toBe('originRefused');
    expect(serveCloseName(1000)).toBeUndefined();
  });
});
