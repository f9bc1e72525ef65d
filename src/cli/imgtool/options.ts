/**
 * What the imgtool-compatible commands share: imgtool's number syntax, reading images as .bin or
 * Intel HEX by extension, loading keys (with a password when they are protected), and turning
 * library errors into one sentence.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import {
  ImageFormatError,
  IntelHexError,
  KeyError,
  KeyPasswordError,
  loadPrivateKey,
  loadPublicKey,
  type PrivateKey,
  type PublicKey,
  parseIntelHex,
  SignError,
} from '../../image/index.ts';
import type { CliIo } from '../context.ts';
import { CliError } from '../errors.ts';
import { obtainPassword } from './password.ts';

/** imgtool's integers: Python int(text, 0), i.e. decimal or 0x / 0o / 0b prefixed, "_" allowed. */
export function parseBasedInt(text: string, what: string): number {
  const t = text.trim().replace(/_/g, '').toLowerCase();
  let n = Number.NaN;
  if (/^[1-9]\d*$|^0+$/.test(t)) n = Number(t);
  else if (/^0x[0-9a-f]+$/.test(t)) n = Number.parseInt(t.slice(2), 16);
  else if (/^0o[0-7]+$/.test(t)) n = Number.parseInt(t.slice(2), 8);
  else if (/^0b[01]+$/.test(t)) n = Number.parseInt(t.slice(2), 2);
  if (!Number.isSafeInteger(n)) {
    throw new CliError(`The ${what} "${text}" is not a valid integer; use decimal or a 0x / 0o / 0b prefix.`);
  }
  return n;
}

export function isHexPath(path: string): boolean {
  return extname(path).toLowerCase() === '.hex';
}

function whyUnreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES') return 'permission denied';
  return (err as Error).message;
}

export async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new CliError(`Cannot read ${what} ${path}: ${whyUnreadable(err)}.`);
  }
}

/** Why `path` cannot be written, in words: a missing folder is named, with how to make it. */
async function whyUnwritable(path: string, err: unknown): Promise<string> {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    const folder = dirname(resolve(path));
    const exists = await stat(folder).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!exists) return `the folder ${folder} does not exist; create it first (mkdir -p ${folder})`;
  }
  return whyUnreadable(err);
}

/** Fails early, before slow work or a password prompt, when `path` is in a missing folder. */
export async function checkOutputFolder(path: string, what: string): Promise<void> {
  const folder = dirname(resolve(path));
  const ok = await stat(folder).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!ok) {
    throw new CliError(
      `Cannot write ${what} ${path}: the folder ${folder} does not exist; create it first (mkdir -p ${folder}).`,
    );
  }
}

export async function writeOutput(path: string, data: Uint8Array | string, what: string): Promise<void> {
  try {
    await writeFile(path, data);
  } catch (err) {
    throw new CliError(`Cannot write ${what} ${path}: ${await whyUnwritable(path, err)}.`);
  }
}

/** An image file as bytes; .hex files are flattened from their lowest address (imgtool's rule). */
export async function readImageInput(path: string): Promise<{ bytes: Uint8Array; base?: number }> {
  const raw = await readInput(path, 'image file');
  if (!isHexPath(path)) return { bytes: raw };
  try {
    const hex = parseIntelHex(new TextDecoder().decode(raw));
    return { bytes: hex.data, base: hex.base };
  } catch (err) {
    throw asCliError(err, path);
  }
}

/** "bad image magic …" → "Bad image magic …." */
export function sentence(text: string): string {
  const t = text.trim().replace(/\s*\n\s*/g, ' ');
  const capital = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/**
 * Library errors become one CliError sentence, led by `lead` (a file name or "Cannot sign X");
 * anything else passes through.
 */
export function asCliError(err: unknown, lead?: string): unknown {
  if (err instanceof CliError) return err;
  const known =
    err instanceof ImageFormatError ||
    err instanceof IntelHexError ||
    err instanceof KeyError ||
    err instanceof SignError;
  if (!known) return err;
  const message = (err as Error).message;
  if (lead === undefined) return new CliError(sentence(message));
  const rest = sentence(message);
  // Keep the library's own casing after the colon ("app.bin: bad image magic …").
  return new CliError(`${lead}: ${message.charAt(0)}${rest.slice(1)}`);
}

export type KeyUse = 'signing' | 'encryption' | 'public';

function keyText(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function isProtected(text: string): boolean {
  return text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----');
}

/** A private key file; asks for the password (ZDFU_KEY_PASSWORD or a prompt) when it is protected. */
export async function loadPrivateKeyFile(path: string, io: CliIo): Promise<PrivateKey> {
  const text = keyText(await readInput(path, 'key file'));
  const password = isProtected(text) ? await obtainPassword(io, path) : undefined;
  try {
    return await loadPrivateKey(text, password);
  } catch (err) {
    throw keyFileError(err, path);
  }
}

/** A public key from a public or private key file (PEM or DER). */
export async function loadPublicKeyFile(path: string, io: CliIo): Promise<PublicKey> {
  const bytes = await readInput(path, 'key file');
  const text = keyText(bytes);
  const password = isProtected(text) ? await obtainPassword(io, path) : undefined;
  try {
    return await loadPublicKey(text.includes('-----BEGIN') ? text : bytes, password);
  } catch (err) {
    throw keyFileError(err, path);
  }
}

function keyFileError(err: unknown, path: string): unknown {
  if (err instanceof KeyPasswordError) {
    return new CliError(
      err.reason === 'wrong'
        ? `Wrong password for the key ${path}.`
        : `The key ${path} is password-protected; give the password at the prompt or in ZDFU_KEY_PASSWORD.`,
    );
  }
  if (err instanceof KeyError) return new CliError(sentence(`Cannot use the key ${path}: ${err.message}`));
  return err;
}

/** Raw bytes to stdout (getpub -e raw without -o), as imgtool writes them. */
export function writeBinaryStdout(io: CliIo, bytes: Uint8Array): void {
  (io.stdout as { write(data: Uint8Array | string): unknown }).write(bytes);
}
