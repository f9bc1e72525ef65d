/**
 * The shape of a board file, checked field by field (zod): types, ranges, no unknown keys (a
 * misspelt field is an error, not a silent default). What depends on several fields at once
 * (partitions inside their device, slot sizes for the strategy) is ./check.ts.
 */
import { z } from 'zod';
import type { Board } from './board.ts';

const uint = z.number().int().nonnegative();
const positive = z.number().int().positive();
const micros = z.number().nonnegative();
const name = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'use letters, digits, "_", "-" and "." only');

const sectorRun = z.strictObject({ count: positive, size: positive, eraseMs: micros });

const flashDevice = z.strictObject({
  id: name,
  kind: z.enum(['internal', 'spi-nor', 'qspi-nor']),
  base: uint,
  sectors: z.array(sectorRun).min(1),
  writeBlockSize: positive,
  eraseValue: z.union([z.literal(0xff), z.literal(0x00)]),
  programUsPerByte: micros,
  readUsPerByte: micros,
  datasheet: z.string().min(1),
});

const partition = z.strictObject({
  label: name,
  device: z.string().min(1),
  offset: uint,
  size: positive,
});

const logStyle = z.discriminatedUnion('port', [
  z.strictObject({ port: z.literal('zephyr') }),
  z.strictObject({ port: z.literal('espressif'), target: z.string().min(1) }),
]);

const mcuboot = z.strictObject({
  mode: z.enum([
    'swap-scratch',
    'overwrite-only',
    'swap-move',
    'direct-xip',
    'direct-xip-revert',
    'ram-load',
    'swap-offset',
  ]),
  maxAlign: z.union([z.literal(8), z.literal(16), z.literal(32)]),
  maxImgSectors: positive,
  signature: z.enum(['rsa-2048', 'rsa-3072', 'ecdsa-p256', 'ed25519', 'none']),
  validatePrimarySlot: z.boolean(),
  headerSize: positive,
  imageNumber: z.number().int().min(1).max(3),
  log: logStyle,
  downgradePrevention: z.boolean().optional(),
  executableRam: z.strictObject({ start: uint, size: positive }).optional(),
});

const smp = z.strictObject({
  // Left out: the Kconfig default of the build (src/device/server/build-config.ts).
  netbufSize: positive.optional(),
  netbufCount: positive.optional(),
  uartMtu: positive,
  rxLineBufferSize: positive,
  rxLineBufferCount: positive,
});

const smpServer = z.strictObject({
  verboseErrors: z.boolean().optional(),
  imageCheck: z.boolean().optional(),
  allowErasePending: z.boolean().optional(),
  allowConfirmNonActiveImageSecondary: z.boolean().optional(),
  allowConfirmNonActiveImageAny: z.boolean().optional(),
  udpTransport: z.boolean().optional(),
  bleTransport: z.boolean().optional(),
  shell: z.boolean().optional(),
  taskstat: z
    .union([
      z.literal(false),
      z.strictObject({
        names: z.enum(['name', 'prio', 'idx']).optional(),
        stackInfo: z.boolean().optional(),
        onlySupportedStats: z.boolean().optional(),
      }),
    ])
    .optional(),
});

const gpio = z.strictObject({
  port: z.string().min(1),
  pin: uint,
  flags: uint,
  label: z.string().optional(),
});

const devicetree = z.strictObject({
  source: z.string().min(1),
  console: z.string().min(1),
  aliases: z.record(z.string(), gpio),
  appOverlay: z.strictObject({ why: z.string().min(1), aliases: z.record(z.string(), gpio) }).optional(),
});

export const boardSchema = z.strictObject({
  name,
  description: z.string().min(1),
  flashDevices: z.array(flashDevice).min(1),
  partitions: z.array(partition).min(1),
  mcuboot,
  smp,
  smpServer: smpServer.optional(),
  app: z.strictObject({ resetOnFatalError: z.boolean() }),
  versions: z.strictObject({ zephyr: z.string().min(1), mcuboot: z.string().min(1) }),
  cpu: z.strictObject({ arch: z.string().min(1), processor: z.string().min(1) }),
  ble: z
    .strictObject({ advertiseAfterBootMs: uint, maxAttMtu: z.number().int().min(23).max(517) })
    .optional(),
  devicetree,
  bootBanner: z.array(z.string()),
  appBanner: z.string(),
});

// The schema's output must be a Board: a field added to one and not the other fails to compile.
const _sameShape: (parsed: z.infer<typeof boardSchema>) => Board = (parsed) => parsed;
void _sameShape;

/** One problem in a board file: where (a path of keys and indexes) and what. */
export interface BoardProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** The schema's complaints in words: "is missing" rather than "expected string, received undefined". */
export function shapeProblems(input: unknown): { board?: Board; problems: BoardProblem[] } {
  const result = boardSchema.safeParse(input);
  if (result.success) return { board: result.data, problems: [] };
  const problems = result.error.issues.map((issue) => ({
    path: issue.path.filter((key): key is string | number => typeof key !== 'symbol'),
    message: describeIssue(issue, input),
  }));
  return { problems };
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code === 'invalid_type') {
    const value = valueAt(input, issue.path);
    if (value === undefined) return `is missing (it must be ${article(issue.expected)})`;
    return `must be ${article(issue.expected)}, not ${JSON.stringify(value)}`;
  }
  if (issue.code === 'unrecognized_keys') {
    return `has unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (misspelt?)`;
  }
  if (issue.code === 'invalid_value') {
    const value = valueAt(input, issue.path);
    const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
    if (value === undefined) return `is missing (it must be one of ${allowed})`;
    return `is ${JSON.stringify(value)}, but must be one of ${allowed}`;
  }
  if (issue.code === 'invalid_union') {
    const value = valueAt(input, issue.path);
    return `has the value ${JSON.stringify(value)}, which is not allowed here`;
  }
  if (issue.code === 'too_small' || issue.code === 'too_big') {
    const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
    const words =
      issue.code === 'too_small'
        ? issue.inclusive
          ? `at least ${bound}`
          : `greater than ${bound}`
        : issue.inclusive
          ? `at most ${bound}`
          : `less than ${bound}`;
    if (issue.origin === 'array') return `must have ${words} entries`;
    if (issue.origin === 'string') return `must not be empty`;
    return `must be ${words} (got ${JSON.stringify(valueAt(input, issue.path))})`;
  }
  return issue.message;
}

function article(type: string): string {
  const words: Record<string, string> = {
    int: 'a whole number',
    number: 'a number',
    string: 'a text',
    boolean: 'true or false',
    array: 'a list',
    object: 'a map of fields',
    record: 'a map of fields',
  };
  return words[type] ?? type;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
