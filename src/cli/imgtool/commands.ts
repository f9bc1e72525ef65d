/** The words of the imgtool-compatible commands (and `create`, imgtool's alias of `sign`). */
export const IMGTOOL_COMMANDS: ReadonlySet<string> = new Set([
  'keygen',
  'getpub',
  'sign',
  'create',
  'verify',
  'dumpinfo',
]);
