/**
 * The imgtool-compatible commands (`keygen`, `getpub`, `sign`/`create`, `verify`, `dumpinfo`) with
 * imgtool 2.5.0's option spellings, so scripts work by swapping the program name. Each command
 * loads its implementation when it runs, so one does not pay for another's modules.
 */
import { type Command, Option } from 'commander';
import { KEY_TYPES } from '../../image/keys.ts';
import type { ContextFactory } from '../conn.ts';
import { IMGTOOL_COMMANDS } from './commands.ts';

export { IMGTOOL_COMMANDS } from './commands.ts';

/** The first word that is not a global option (or its value): the command being run. */
function commandWord(program: Command, argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) return arg;
    const option = program.options.find((o) => o.short === arg || o.long === arg);
    if (option?.required || option?.optional) i++;
  }
  return undefined;
}

/**
 * zdfu's global options include -v (version), -t (timeout) and -c (connection), which imgtool's
 * commands use for --version, --type and --clear. For these commands only, options after the
 * command word belong to the command (commander's positional options).
 */
function givePositionalOptionsToImgtoolCommands(program: Command): void {
  const parseAsync = program.parseAsync.bind(program);
  program.parseAsync = (argv, parseOptions) => {
    const word = commandWord(program, argv ?? []);
    if (word !== undefined && IMGTOOL_COMMANDS.has(word)) program.enablePositionalOptions();
    return parseAsync(argv, parseOptions);
  };
}

// zdfu's global --json, also accepted after an imgtool command word (where options are the command's).
const JSON_FLAG = '--json';
const JSON_HELP = 'print one JSON document, also when the command fails (zdfu extension)';

const choice = (flags: string, description: string, choices: string[]) =>
  new Option(flags, description).choices(choices);

export function registerImgtoolCommands(program: Command, context: ContextFactory): void {
  givePositionalOptionsToImgtoolCommands(program);

  program
    .command('keygen')
    .description('Generate a private key (PKCS#8 PEM), as imgtool keygen')
    .requiredOption('-k, --key <filename>', 'file to write the private key to')
    .addOption(choice('-t, --type <type>', 'key type', [...KEY_TYPES]).makeOptionMandatory())
    .option('-p, --password', 'protect the key with a password (prompt, or ZDFU_KEY_PASSWORD)')
    .option('--force', 'replace the key file if it exists (refused otherwise, unlike imgtool)')
    .option(JSON_FLAG, JSON_HELP)
    .action(async (opts, command: Command) =>
      (await import('./keygen.ts')).keygenCommand(context(command), opts),
    );

  program
    .command('getpub')
    .description('Print the public key of a key file, as imgtool getpub')
    .requiredOption('-k, --key <filename>', 'private or public key file')
    .option('-e, --encoding <encoding>', 'lang-c (default), lang-rust, pem or raw (c and rust also work)')
    .addOption(choice('-l, --lang <lang>', 'deprecated form of -e: c or rust', ['c', 'rust']))
    .option('-o, --output <output>', 'write to this file instead of stdout')
    .option('--name-suffix <suffix>', 'append SUFFIX to the C/Rust identifiers')
    .option(JSON_FLAG, JSON_HELP)
    .action(async (opts, command: Command) =>
      (await import('./getpub.ts')).getpubCommand(context(command), opts),
    );

  program
    .command('sign')
    .alias('create')
    .description('Create a signed (or unsigned) MCUboot image, as imgtool sign; .hex names mean Intel HEX')
    .argument('<infile>', 'application binary (.bin) or Intel HEX (.hex)')
    .argument('<outfile>', 'signed image (.bin) or Intel HEX (.hex)')
    .option('-k, --key <filename>', 'signing key (without it: hash only, unsigned)')
    .addOption(
      choice('--public-key-format <format>', 'put the key hash or the full key in the image', [
        'hash',
        'full',
      ]).default('hash'),
    )
    .addOption(choice('--max-align <n>', 'trailer alignment (default max(8, align))', ['8', '16', '32']))
    .addOption(
      choice('--align <n>', 'flash write size used by swap updates', [
        '1',
        '2',
        '4',
        '8',
        '16',
        '32',
      ]).default('1'),
    )
    .requiredOption('-v, --version <version>', 'image version maj.min.rev+build')
    .option('-s, --security-counter <n>', 'security counter value, or "auto" from the version')
    .option('-d, --dependencies <deps>', 'dependencies "(<image id>,<version>), ..."')
    .requiredOption('-H, --header-size <n>', 'header size (at least 32)')
    .option('--pad-header', 'prepend --header-size erased bytes to the input')
    .requiredOption('-S, --slot-size <n>', 'slot size (the secondary slot if they differ)')
    .option('--pad', 'pad to --slot-size and add the trailer magic')
    .option('--test', 'pad and mark for a test swap (implies --pad)')
    .option('--confirm', 'pad and mark confirmed (implies --pad)')
    .option('-M, --max-sectors <n>', 'sectors in the swap status area (default 128)')
    .option('--boot-record <sw_type>', 'add a CBOR boot record TLV (at most 12 characters)')
    .option('--overwrite-only', 'use overwrite-only instead of swap upgrades')
    .option('-c, --clear', 'with -E: keep the body plain but add the encryption TLV and flag')
    .addOption(choice('--encrypt-keylen <bits>', 'AES key length', ['128', '256']))
    .option('-E, --encrypt <filename>', 'encrypt for this RSA-2048 / EC P-256 / X25519 public key')
    .option('--save-enctlv', 'reserve trailer room for the whole encrypted key TLV')
    .option('-F, --rom-fixed <addr>', 'flash address the image is built for')
    .option('-L, --load-addr <addr>', 'RAM load address')
    .option('-x, --hex-addr <addr>', 'base address of the Intel HEX output')
    .addOption(choice('-R, --erased-val <value>', 'value of erased flash', ['0', '0xff']))
    .option('--non-bootable', 'mark the image as non-bootable')
    .addOption(choice('--sha <bits>', 'image hash', ['auto', '256', '384', '512']).default('auto'))
    .addOption(choice('--hmac-sha <bits>', 'HMAC of the ECIES key wrapping', ['auto', '256', '512']))
    .option(JSON_FLAG, JSON_HELP)
    .action(async (infile: string, outfile: string, opts, command: Command) =>
      (await import('./sign.ts')).signCommand(context(command), infile, outfile, opts),
    );

  program
    .command('verify')
    .description('Check the hash and signature of an image, as imgtool verify')
    .argument('<imgfile>', 'signed image (.bin or .hex)')
    .option('-k, --key <filename>', 'public or private key that should have signed it')
    .option('--decrypt <filename>', 'private key to decrypt an encrypted image first (zdfu extension)')
    .option(JSON_FLAG, JSON_HELP)
    .action(async (imgfile: string, opts, command: Command) =>
      (await import('./verify.ts')).verifyCommand(context(command), imgfile, opts),
    );

  program
    .command('dumpinfo')
    .description('Print every header field, TLV and trailer field of an image, as imgtool dumpinfo')
    .argument('<imgfile>', 'image (.bin or .hex)')
    .addOption(choice('-f, --format <format>', 'output format', ['human', 'json']))
    .option('-o, --outfile <filename>', 'write to this file instead of stdout')
    .option('-s, --silent', 'accepted for imgtool compatibility (output is still written)')
    .option('--json', 'same as -f json')
    .action(async (imgfile: string, opts, command: Command) =>
      (await import('./dumpinfo.ts')).dumpinfoCommand(context(command), imgfile, opts),
    );
}
