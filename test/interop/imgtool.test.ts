/**
 * zdfu's imgtool commands against the real imgtool 2.5.0 (PyPI, installed by
 * scripts/interop/setup.sh): each verifies the other's images for every key type, Ed25519 images
 * (deterministic) are identical byte for byte under the same options (binary, --pad --confirm
 * trailers, Intel HEX), getpub and dumpinfo agree, protected keys open both ways, and encrypted
 * images made by either decrypt to the same plaintext. zdfu runs in-process (runCli).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImage, TlvType } from '../../src/image/index.ts';
import { type CliRun, runZdfu } from '../helpers/run-zdfu.ts';
import { peerTool } from './peers.ts';

const KEY_TYPES = ['rsa-2048', 'rsa-3072', 'ecdsa-p256', 'ecdsa-p384', 'ed25519'] as const;
const HEADER = ['-H', '0x200', '--pad-header', '-S', '0x40000', '-v', '1.2.3+4'];

let dir: string;
const p = (name: string) => join(dir, name);

type Run = CliRun;

function zdfu(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runZdfu(args, { ZDFU_HOME: dir, ...env });
}

async function zdfuOk(args: string[], env: Record<string, string> = {}): Promise<string> {
  const run = await zdfu(args, env);
  expect(run.err, `zdfu ${args.join(' ')}`).toBe('');
  expect(run.code).toBe(0);
  return run.out;
}

function imgtool(args: string[], input?: string): Run {
  const r = spawnSync(peerTool('imgtool'), args, { encoding: 'utf8', cwd: dir, input: input ?? '' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function imgtoolOk(args: string[]): string {
  const run = imgtool(args);
  expect(run.code, `imgtool ${args.join(' ')}: ${run.err}${run.out}`).toBe(0);
  return run.out;
}

function python(script: string, ...args: string[]): string {
  const r = spawnSync(peerTool('python'), ['-c', script, ...args], { encoding: 'utf8', cwd: dir });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

const bytesOf = (name: string) => new Uint8Array(readFileSync(p(name)));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zdfu-imgtool-interop-'));
  // A 100 KiB "app" with a recognisable pattern, and a Zephyr-style one with a zeroed header gap.
  writeFileSync(
    p('app.bin'),
    Uint8Array.from({ length: 100 * 1024 + 5 }, (_, i) => (i * 31 + (i >> 8)) & 0xff),
  );
  const zephyr = new Uint8Array(0x200 + 4000);
  zephyr.set(
    Uint8Array.from({ length: 4000 }, (_, i) => (i * 13) & 0xff),
    0x200,
  );
  writeFileSync(p('zephyr.bin'), zephyr);
  for (const type of [...KEY_TYPES, 'x25519']) imgtoolOk(['keygen', '-k', p(`${type}.pem`), '-t', type]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(KEY_TYPES)('%s', (type) => {
  const key = () => p(`${type}.pem`);

  it('zdfu-signed images pass imgtool verify (plain and --pad --confirm)', async () => {
    await zdfuOk(['sign', '-k', key(), ...HEADER, p('app.bin'), p(`z-${type}.bin`)]);
    expect(imgtoolOk(['verify', '-k', key(), p(`z-${type}.bin`)])).toContain('Image was correctly validated');
    await zdfuOk([
      'sign',
      '-k',
      key(),
      ...HEADER,
      '--pad',
      '--confirm',
      '-s',
      'auto',
      p('app.bin'),
      p(`zc-${type}.bin`),
    ]);
    expect(imgtoolOk(['verify', '-k', key(), p(`zc-${type}.bin`)])).toContain(
      'Image was correctly validated',
    );
  });

  it('imgtool-signed images pass zdfu verify, with the same digest line', async () => {
    imgtoolOk(['sign', '-k', key(), ...HEADER, '-d', '(1, 0.2.0)', p('app.bin'), p(`i-${type}.bin`)]);
    const ours = await zdfuOk(['verify', '-k', key(), p(`i-${type}.bin`)]);
    const theirs = imgtoolOk(['verify', '-k', key(), p(`i-${type}.bin`)]);
    expect(ours).toBe(
      theirs
        .split('\n')
        .filter((l) => l.startsWith('Image '))
        .join('\n')
        .concat('\n'),
    );
  });

  it('getpub prints exactly what imgtool getpub prints (lang-c, lang-rust, pem, raw)', async () => {
    for (const enc of ['lang-c', 'lang-rust', 'pem']) {
      expect(await zdfuOk(['getpub', '-k', key(), '-e', enc])).toBe(
        imgtoolOk(['getpub', '-k', key(), '-e', enc]),
      );
    }
    await zdfuOk(['getpub', '-k', key(), '-e', 'raw', '-o', p(`z-${type}.der`)]);
    imgtoolOk(['getpub', '-k', key(), '-e', 'raw', '-o', p(`i-${type}.der`)]);
    expect(bytesOf(`z-${type}.der`)).toEqual(bytesOf(`i-${type}.der`));
  });

  it('dumpinfo agrees with imgtool dumpinfo -f json on an imgtool image with a trailer', async () => {
    imgtoolOk([
      'sign',
      '-k',
      key(),
      ...HEADER,
      '--pad',
      '--confirm',
      '-s',
      '7',
      p('app.bin'),
      p(`d-${type}.bin`),
    ]);
    const theirs = JSON.parse(imgtoolOk(['dumpinfo', '-f', 'json', p(`d-${type}.bin`)]));
    const ours = JSON.parse(await zdfuOk(['dumpinfo', '--json', p(`d-${type}.bin`)]));
    delete ours.decoded;
    expect(ours).toEqual(theirs);
  });
});

describe('Ed25519: identical bytes under the same options', () => {
  const cases: Array<[string, string[], string, string]> = [
    ['plain', [...HEADER], 'app.bin', 'bin'],
    ['--pad --confirm', [...HEADER, '--pad', '--confirm'], 'app.bin', 'bin'],
    ['--pad only', [...HEADER, '--pad'], 'app.bin', 'bin'],
    ['--test', [...HEADER, '--test'], 'app.bin', 'bin'],
    [
      'protected TLVs, boot record, align 4, 64 sectors',
      [
        ...HEADER,
        '-s',
        'auto',
        '-d',
        '(1, 2.3.4+5), (2, 0.0.1)',
        '--boot-record',
        'NSPE',
        '--align',
        '4',
        '-M',
        '64',
        '--confirm',
      ],
      'app.bin',
      'bin',
    ],
    [
      'full public key, overwrite-only, erased 0',
      [...HEADER, '--public-key-format', 'full', '--overwrite-only', '-R', '0', '--confirm'],
      'app.bin',
      'bin',
    ],
    [
      'max-align 16, load address',
      [...HEADER, '--align', '16', '--max-align', '16', '--confirm', '-L', '0x20000000'],
      'app.bin',
      'bin',
    ],
    [
      'Zephyr header gap (no --pad-header), rom-fixed',
      ['-H', '0x200', '-S', '0x20000', '-v', '2.0.0', '-F', '0x8020000'],
      'zephyr.bin',
      'bin',
    ],
    ['Intel HEX output', [...HEADER, '-x', '0x08020000'], 'app.bin', 'hex'],
    [
      'Intel HEX output with --pad --confirm',
      [...HEADER, '-x', '0x08020000', '--pad', '--confirm'],
      'app.bin',
      'hex',
    ],
  ];

  it.each(cases)('%s', async (name, options, input, ext) => {
    const slug = name.replace(/\W+/g, '-');
    const out = (who: string) => p(`${who}-${slug}.${ext}`);
    await zdfuOk(['sign', '-k', p('ed25519.pem'), ...options, p(input), out('zdfu')]);
    imgtoolOk(['sign', '-k', p('ed25519.pem'), ...options, p(input), out('imgtool')]);
    expect(readFileSync(out('zdfu'))).toEqual(readFileSync(out('imgtool')));
  });

  it('Intel HEX input, with and without --pad-header, unsigned too', async () => {
    imgtoolOk(['sign', '-k', p('ed25519.pem'), ...HEADER, '-x', '0x10000', p('app.bin'), p('in.hex')]);
    for (const [name, options] of [
      ['hex-in', ['-H', '0x200', '-S', '0x40000', '-v', '3.0.0', '-k', p('ed25519.pem')]],
      ['hex-in-padhdr', ['-H', '0x100', '--pad-header', '-S', '0x40000', '-v', '3.0.0', '--pad']],
    ] as const) {
      for (const ext of ['hex', 'bin']) {
        // The first image's header is not zero, so re-sign with a header gap only via --pad-header.
        const args = name === 'hex-in' ? [...options, '--pad-header'] : [...options];
        await zdfuOk(['sign', ...args, p('in.hex'), p(`z-${name}.${ext}`)]);
        imgtoolOk(['sign', ...args, p('in.hex'), p(`i-${name}.${ext}`)]);
        expect(readFileSync(p(`z-${name}.${ext}`))).toEqual(readFileSync(p(`i-${name}.${ext}`)));
      }
    }
  });

  it('dumpinfo of a HEX image agrees with imgtool', async () => {
    const theirs = JSON.parse(
      imgtoolOk(['dumpinfo', '-f', 'json', p('imgtool-Intel-HEX-output-with-pad-confirm.hex')]),
    );
    const ours = JSON.parse(
      await zdfuOk(['dumpinfo', '--json', p('imgtool-Intel-HEX-output-with-pad-confirm.hex')]),
    );
    delete ours.decoded;
    expect(ours).toEqual(theirs);
  });
});

describe('password-protected keys', () => {
  // imgtool only prompts for passwords, so its key code is driven directly from Python.
  const exportWithPassword = `
import sys, imgtool.keys as keys
keys.Ed25519.generate().export_private(sys.argv[1], passwd=sys.argv[2].encode())
`;
  const publicBytesWithPassword = `
import sys, imgtool.keys as keys
k = keys.load(sys.argv[1], sys.argv[2].encode())
print(k.get_public_bytes().hex())
`;

  it('zdfu opens keys imgtool protected, and imgtool opens keys zdfu keygen -p protected', async () => {
    python(exportWithPassword, p('theirs-pw.pem'), 'imgtool pw');
    const raw = await zdfu(['getpub', '-k', p('theirs-pw.pem'), '-e', 'raw', '-o', p('theirs-pw.der')], {
      ZDFU_KEY_PASSWORD: 'imgtool pw',
    });
    expect(raw.code).toBe(0);
    expect(Buffer.from(bytesOf('theirs-pw.der')).toString('hex')).toBe(
      python(publicBytesWithPassword, p('theirs-pw.pem'), 'imgtool pw').trim(),
    );
    const wrong = await zdfu(['getpub', '-k', p('theirs-pw.pem')], { ZDFU_KEY_PASSWORD: 'nope' });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toBe(`Error: Wrong password for the key ${p('theirs-pw.pem')}.\n`);

    for (const type of ['ecdsa-p256', 'rsa-2048', 'x25519']) {
      await zdfuOk(['keygen', '-k', p(`ours-pw-${type}.pem`), '-t', type, '-p'], {
        ZDFU_KEY_PASSWORD: 'zdfu pw',
      });
      await zdfuOk(['getpub', '-k', p(`ours-pw-${type}.pem`), '-e', 'raw', '-o', p(`ours-pw-${type}.der`)], {
        ZDFU_KEY_PASSWORD: 'zdfu pw',
      });
      expect(python(publicBytesWithPassword, p(`ours-pw-${type}.pem`), 'zdfu pw').trim()).toBe(
        Buffer.from(bytesOf(`ours-pw-${type}.der`)).toString('hex'),
      );
    }
  });
});

describe('encrypted images', () => {
  // An independent decryption (Python cryptography, not imgtool's code path) of an image's body,
  // following docs/encrypted_images.md: RSA-OAEP or ECIES (ECDH, HKDF, AES-CTR, HMAC check).
  const decryptBody = `
import sys, struct
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, x25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
img = open(sys.argv[1], 'rb').read()
priv = serialization.load_pem_private_key(open(sys.argv[2], 'rb').read(), password=None)
magic, load, hdr, prot, size, flags = struct.unpack('<IIHHII', img[:20])
off = hdr + size + prot
assert struct.unpack('<H', img[off:off+2])[0] == 0x6907
end = off + struct.unpack('<H', img[off+2:off+4])[0]
off += 4
tlvs = {}
while off < end:
    t, l = struct.unpack('<HH', img[off:off+4]); tlvs[t] = img[off+4:off+4+l]; off += 4 + l
keylen = 32 if flags & 8 else 16
if 0x30 in tlvs:
    key = priv.decrypt(tlvs[0x30], padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
else:
    t = 0x32 if 0x32 in tlvs else 0x33
    data = tlvs[t]
    if t == 0x32:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data[:65]); rest = data[65:]
        shared = priv.exchange(ec.ECDH(), peer)
    else:
        peer = x25519.X25519PublicKey.from_public_bytes(data[:32]); rest = data[32:]
        shared = priv.exchange(peer)
    mac, wrapped = rest[:32], rest[32:]
    derived = HKDF(algorithm=hashes.SHA256(), length=keylen + 32, salt=None, info=b'MCUBoot_ECIES_v1').derive(shared)
    h = hmac.HMAC(derived[keylen:], hashes.SHA256()); h.update(wrapped); h.verify(mac)
    d = Cipher(algorithms.AES(derived[:keylen]), modes.CTR(bytes(16))).decryptor()
    key = d.update(wrapped) + d.finalize()
d = Cipher(algorithms.AES(key), modes.CTR(bytes(16))).decryptor()
sys.stdout.write((d.update(img[hdr:hdr+size]) + d.finalize()).hex())
`;

  const pairs = [
    ['rsa-2048', 'rsa-2048', '128'],
    ['ecdsa-p256', 'ecdsa-p256', '256'],
    ['ed25519', 'x25519', '128'],
  ] as const;

  it.each(pairs)(
    "sign %s, encrypt for %s (AES-%s): both tools' images decrypt to the same plaintext",
    async (sig, enc, bits) => {
      imgtoolOk(['getpub', '-k', p(`${enc}.pem`), '-e', 'pem', '-o', p(`${enc}.pub.pem`)]);
      const common = [
        '-k',
        p(`${sig}.pem`),
        '-E',
        p(`${enc}.pub.pem`),
        '--encrypt-keylen',
        bits,
        ...HEADER,
        '--pad',
      ];
      await zdfuOk(['sign', ...common, p('app.bin'), p(`ze-${enc}.bin`)]);
      imgtoolOk(['sign', ...common, p('app.bin'), p(`ie-${enc}.bin`)]);
      // Same layout: same size (trailer reserves the same key slots), same header, same plaintext hash.
      const ours = bytesOf(`ze-${enc}.bin`);
      const theirs = bytesOf(`ie-${enc}.bin`);
      expect(ours.length).toBe(theirs.length);
      expect(ours.subarray(0, 32)).toEqual(theirs.subarray(0, 32));
      const hashOf = (b: Uint8Array) => parseImage(b).tlvs.find((t) => t.type === TlvType.SHA256)?.data;
      if (sig === 'ed25519') expect(hashOf(ours)).toEqual(hashOf(theirs));

      // Python decrypts zdfu's image; zdfu decrypts imgtool's: both give the padded plaintext.
      const app = bytesOf('app.bin');
      const plain = new Uint8Array(Math.ceil((app.length + 0x200) / 16) * 16 - 0x200);
      plain.set(app);
      const hex = Buffer.from(plain).toString('hex');
      expect(python(decryptBody, p(`ze-${enc}.bin`), p(`${enc}.pem`))).toBe(hex);
      expect(python(decryptBody, p(`ie-${enc}.bin`), p(`${enc}.pem`))).toBe(hex);
      for (const file of [`ze-${enc}.bin`, `ie-${enc}.bin`]) {
        const verified = await zdfuOk([
          'verify',
          '-k',
          p(`${sig}.pem`),
          '--decrypt',
          p(`${enc}.pem`),
          p(file),
        ]);
        expect(verified).toContain('Image was correctly validated');
      }
    },
  );

  it('--clear images: zdfu and imgtool agree on everything but the random wrapped key', async () => {
    const common = ['-k', p('ed25519.pem'), '-E', p('x25519.pub.pem'), '-c', ...HEADER];
    await zdfuOk(['sign', ...common, p('app.bin'), p('zclear.bin')]);
    imgtoolOk(['sign', ...common, p('app.bin'), p('iclear.bin')]);
    const ours = bytesOf('zclear.bin');
    const theirs = bytesOf('iclear.bin');
    const enc = parseImage(ours).tlvs.find((t) => t.type === TlvType.ENC_X25519)!;
    expect(ours.length).toBe(theirs.length);
    expect(ours.subarray(0, enc.offset + 4)).toEqual(theirs.subarray(0, enc.offset + 4));
    expect(imgtoolOk(['verify', '-k', p('ed25519.pem'), p('zclear.bin')])).toContain('correctly validated');
  });
});

describe('both refuse the same bad input', () => {
  it('an image one byte too large for the slot', async () => {
    // Find the largest slot size imgtool refuses, and check zdfu refuses it and accepts one more byte.
    imgtoolOk(['sign', '-k', p('ed25519.pem'), ...HEADER, p('app.bin'), p('fit.bin')]);
    const needed = bytesOf('fit.bin').length + 432;
    const args = (slot: number) => [
      '-k',
      p('ed25519.pem'),
      '-H',
      '0x200',
      '--pad-header',
      '-S',
      String(slot),
      '-v',
      '1',
      p('app.bin'),
      p('o.bin'),
    ];
    expect(imgtool(['sign', ...args(needed - 1)]).code).not.toBe(0);
    const refused = await zdfu(['sign', ...args(needed - 1)]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('does not fit the slot');
    imgtoolOk(['sign', ...args(needed)]);
    await zdfuOk(['sign', ...args(needed)]);
  });
});
