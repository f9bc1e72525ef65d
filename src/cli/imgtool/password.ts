/**
 * Passwords for protected keys. imgtool only prompts ("Enter key passphrase: "); zdfu also reads
 * ZDFU_KEY_PASSWORD so that scripts and CI can use protected keys without a terminal.
 */
import type { CliIo } from '../context.ts';
import { CliError } from '../errors.ts';

export const PASSWORD_ENV = 'ZDFU_KEY_PASSWORD';

/** Reads one line from the terminal without echoing it. */
function promptHidden(question: string, io: CliIo): Promise<string> {
  const stdin = process.stdin;
  io.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      io.stderr.write('\n');
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') {
          const abort = new Error('Aborted.');
          abort.name = 'AbortError';
          return finish(abort);
        }
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
  });
}

function canPrompt(): boolean {
  return process.stdin.isTTY === true && typeof process.stdin.setRawMode === 'function';
}

/** The password to open the protected key `path`. */
export async function obtainPassword(io: CliIo, path: string): Promise<string> {
  const fromEnv = io.env?.[PASSWORD_ENV];
  if (fromEnv !== undefined) return fromEnv;
  if (!canPrompt()) {
    throw new CliError(
      `The key ${path} is password-protected and there is no terminal to ask on; set ${PASSWORD_ENV}.`,
    );
  }
  return promptHidden('Enter key passphrase: ', io);
}

/** A new password, typed twice (keygen -p), or taken from ZDFU_KEY_PASSWORD. */
export async function obtainNewPassword(io: CliIo): Promise<string> {
  const fromEnv = io.env?.[PASSWORD_ENV];
  let password: string;
  if (fromEnv !== undefined) {
    password = fromEnv;
  } else {
    if (!canPrompt()) {
      throw new CliError(`keygen -p needs a password: run it on a terminal or set ${PASSWORD_ENV}.`);
    }
    for (;;) {
      password = await promptHidden('Enter key passphrase: ', io);
      if (password === (await promptHidden('Reenter passphrase: ', io))) break;
      io.stderr.write('Passwords do not match, try again\n');
    }
  }
  if (password.length === 0) throw new CliError('The key password must not be empty.');
  return password;
}
