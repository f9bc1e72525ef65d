/** `zdfu dumpinfo IMAGE [-f human|json] [-o OUT] [--json]`: every header, TLV and trailer field, in words. */
import { basename } from 'node:path';
import { dumpInfo, formatDumpInfo } from '../../image/index.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { asCliError, readImageInput, writeOutput } from './options.ts';

export interface DumpinfoOptions {
  format?: string;
  outfile?: string;
  json?: boolean;
}

export async function dumpinfoCommand(
  ctx: CliContext,
  file: string,
  options: DumpinfoOptions,
): Promise<void> {
  const format = options.json || ctx.json ? 'json' : (options.format ?? 'human');
  if (format !== 'human' && format !== 'json') {
    throw new CliError(`Unknown format "${format}"; use human or json.`);
  }
  const { bytes } = await readImageInput(file);
  let info: ReturnType<typeof dumpInfo>;
  try {
    info = dumpInfo(bytes, basename(file));
  } catch (err) {
    throw asCliError(err, file);
  }
  const text = format === 'json' ? `${JSON.stringify(info, null, 2)}\n` : formatDumpInfo(info);
  if (options.outfile !== undefined) await writeOutput(options.outfile, text, 'output file');
  else ctx.io.stdout.write(text);
}
