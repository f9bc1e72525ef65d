/** `zdfu getpub -k FILE [-e lang-c|lang-rust|pem|raw] [-o OUT]`: the public key as imgtool prints it. */
import { type GetpubFormat, getpub, toHex } from '../../image/index.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { loadPublicKeyFile, writeBinaryStdout, writeOutput } from './options.ts';

export interface GetpubOptions {
  key: string;
  encoding?: string;
  lang?: string;
  output?: string;
  nameSuffix?: string;
}

const ENCODINGS: Readonly<Record<string, GetpubFormat>> = {
  'lang-c': 'lang-c',
  c: 'lang-c',
  'lang-rust': 'lang-rust',
  rust: 'lang-rust',
  pem: 'pem',
  raw: 'raw',
};

/** imgtool's -e (lang-c, lang-rust, pem, raw) and its deprecated -l (c, rust); the short forms work for -e too. */
export function resolveEncoding(options: GetpubOptions): GetpubFormat {
  if (options.encoding !== undefined && options.lang !== undefined) {
    throw new CliError('Use only one of -e/--encoding and -l/--lang.');
  }
  const word = options.encoding ?? options.lang ?? 'lang-c';
  const format = ENCODINGS[word];
  if (format === undefined) {
    throw new CliError(`Unknown encoding "${word}"; use lang-c, lang-rust, pem or raw.`);
  }
  return format;
}

export async function getpubCommand(ctx: CliContext, options: GetpubOptions): Promise<void> {
  const format = resolveEncoding(options);
  const suffix = options.nameSuffix ?? '';
  if (!/^[A-Za-z0-9_]*$/.test(suffix)) {
    throw new CliError(`The name suffix "${suffix}" may contain only letters, digits and "_".`);
  }
  if (suffix !== '' && (format === 'pem' || format === 'raw')) {
    throw new CliError('--name-suffix only applies to the lang-c and lang-rust encodings.');
  }
  const key = await loadPublicKeyFile(options.key, ctx.io);
  const out = getpub(key, format, suffix);
  if (options.output !== undefined) {
    await writeOutput(options.output, out, 'output file');
    if (ctx.json) ctx.emit({ file: options.output, encoding: format }, '');
  } else if (ctx.json) {
    // --json: one document; raw bytes as hex, like every byte string zdfu prints as JSON.
    ctx.emit({ encoding: format, key: typeof out === 'string' ? out : toHex(out) }, '');
  } else if (typeof out === 'string') {
    ctx.io.stdout.write(out);
  } else {
    writeBinaryStdout(ctx.io, out);
  }
}
