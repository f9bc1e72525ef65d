/**
 * Advice that fits the link a command used: a silent device over UDP is an address, a stopped
 * device or a firewall; over serial it is the port, the baud rate or a missing SMP server. Also
 * the serial-port problems a person can fix before or after opening: a PTY link left behind by a
 * virtual device that is no longer running, and a port another program holds.
 */
import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { DfuError } from '../client/dfu.ts';
import { formatHostPort } from '../transport/host-port.ts';
import type { ConnTarget } from '../transport/kinds/kind.ts';
import { LinkError } from '../transport/link-error.ts';
import { CliError } from './errors.ts';
import { faultFor } from './failure.ts';

/** What to check when the device at `target` did not answer. */
export function noAnswerHint(target: ConnTarget): string {
  if (target.type === 'ble') {
    return (
      'Check that the device is on, in range and connected to no other central, and that its firmware runs ' +
      'the SMP server over Bluetooth (for the virtual device: `zdfu sim --ble`).'
    );
  }
  if (target.type === 'udp') {
    const where = formatHostPort(target);
    return (
      `Check that the device at UDP ${where} is on and running its SMP server ` +
      `(for the virtual device: that \`zdfu sim --udp ${where}\` is running), that the address and port are right, ` +
      `and that no firewall drops UDP port ${target.port}.`
    );
  }
  return (
    `Check that ${target.path} is the device's serial port, that the device's UART runs at ` +
    `${target.baudRate} baud as the connstring says, and that its firmware runs an SMP server on that UART.`
  );
}

function sentenceEnd(text: string): string {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/** A failure while talking to the device, with advice when the device did not answer. */
export function withLinkAdvice(err: unknown, target: ConnTarget): unknown {
  // A LinkError already says what happened to the link and what it means; a DfuError says what
  // happened to the update (the device answered before its reset, so the link is not in doubt).
  if (
    err instanceof CliError ||
    err instanceof LinkError ||
    err instanceof DfuError ||
    faultFor(err) !== 'no-answer'
  ) {
    return err;
  }
  // The error's own words, without describeError's generic hint: this one fits the link.
  const what = err instanceof Error ? err.message : String(err);
  return new CliError(`${sentenceEnd(what.replace(/\s*\n\s*/g, ' '))} ${noAnswerHint(target)}`, {
    fault: 'no-answer',
    cause: err,
  });
}

function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err ? String((err as NodeJS.ErrnoException).code) : undefined;
}

/**
 * Before opening a serial port: a symlink whose target is gone is what `zdfu sim --pty PATH`
 * leaves when it was killed, so say that rather than "no such file". (Not on Windows: COM ports
 * are not files.)
 */
export function checkSerialPath(path: string, platform: string = process.platform): void {
  if (platform === 'win32') return;
  let isLink: boolean;
  try {
    isLink = lstatSync(path).isSymbolicLink();
  } catch {
    return; // missing or unreadable: the transport's own message names it
  }
  if (!isLink) return;
  try {
    statSync(path);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') return;
    let target = 'a file';
    try {
      target = readlinkSync(path);
    } catch {
      // keep the generic words
    }
    throw new CliError(
      `The serial port ${path} is a link to ${target}, which no longer exists: the virtual device that made it ` +
        `is probably not running. Start it again (\`zdfu sim --pty ${path}\`), or fix the path in the connstring.`,
    );
  }
}

/** After a serial port failed to open: a lock held by another program gets words a person acts on. */
export function explainOpenFailure(err: unknown, target: ConnTarget): unknown {
  if (target.type !== 'serial') return err;
  const text = err instanceof Error ? err.message : String(err);
  // serialport's Linux/macOS bindings take an exclusive lock (flock) on open.
  if (/cannot lock port|resource temporarily unavailable|\bEBUSY\b|resource busy/i.test(text)) {
    return new CliError(
      `The serial port ${target.path} is in use by another program (another zdfu or mcumgr, or a terminal ` +
        'such as screen, minicom or picocom); close it and try again.',
      { cause: err },
    );
  }
  if (/no such file or directory|\bENOENT\b/i.test(text)) {
    return new CliError(
      `There is no serial port ${target.path} (no such file). Check the path (for example ls /dev/ttyACM* /dev/ttyUSB*), ` +
        `or, for the virtual device, start \`zdfu sim --pty ${target.path}\` first.`,
      { cause: err },
    );
  }
  return err;
}
