/**
 * `zdfu keygen -k FILE -t TYPE [-p] [--force]`: a new PKCS#8 PEM private key, as `imgtool keygen`
 * writes. Unlike imgtool, an existing file is never replaced without --force: a key lost is every
 * device that trusts it lost.
 */
import { lstat } from 'node:fs/promises';
import { generateKey, KEY_TYPES, type KeyType } from '../../image/index.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { checkOutputFolder, writeOutput } from './options.ts';
import { obtainNewPassword } from './password.ts';

export interface KeygenOptions {
  key: string;
  type: string;
  password?: boolean;
  /** Replace an existing file. */
  force?: boolean;
}

export async function keygenCommand(ctx: CliContext, options: KeygenOptions): Promise<void> {
  if (!(KEY_TYPES as readonly string[]).includes(options.type)) {
    throw new CliError(`Unknown key type "${options.type}"; use one of ${KEY_TYPES.join(', ')}.`);
  }
  const type = options.type as KeyType;
  await checkOutputFolder(options.key, 'key file');
  if (!options.force) await refuseExisting(options.key);
  const password = options.password ? await obtainNewPassword(ctx.io) : undefined;
  const { privatePem } = await generateKey(type, password === undefined ? {} : { password });
  await writeOutput(options.key, privatePem, 'key file');
  ctx.emit({ key: options.key, type, protected: password !== undefined }, '');
}

/** Before the password prompt and the key generation: an existing file is not replaced. */
async function refuseExisting(path: string): Promise<void> {
  const exists = await lstat(path).then(
    () => true,
    () => false,
  );
  if (exists) {
    throw new CliError(
      `${path} already exists and was left untouched: it may be a key devices trust (an image signed ` +
        'with a new key would be refused by them). Give another -k file, or add --force to replace it.',
    );
  }
}
