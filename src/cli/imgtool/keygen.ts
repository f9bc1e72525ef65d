/** `zdfu keygen -k FILE -t TYPE [-p]`: a new PKCS#8 PEM private key, as `imgtool keygen` writes. */
import { generateKey, KEY_TYPES, type KeyType } from '../../image/index.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { checkOutputFolder, writeOutput } from './options.ts';
import { obtainNewPassword } from './password.ts';

export interface KeygenOptions {
  key: string;
  type: string;
  password?: boolean;
}

export async function keygenCommand(ctx: CliContext, options: KeygenOptions): Promise<void> {
  if (!(KEY_TYPES as readonly string[]).includes(options.type)) {
    throw new CliError(`Unknown key type "${options.type}"; use one of ${KEY_TYPES.join(', ')}.`);
  }
  const type = options.type as KeyType;
  await checkOutputFolder(options.key, 'key file');
  const password = options.password ? await obtainNewPassword(ctx.io) : undefined;
  const { privatePem } = await generateKey(type, password === undefined ? {} : { password });
  await writeOutput(options.key, privatePem, 'key file');
  ctx.emit({ key: options.key, type, protected: password !== undefined }, '');
}
