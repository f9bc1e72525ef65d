/**
 * zod's validation issues in words a user can act on: `field "a.b.0": expected string, got
 * nothing`. Our own words, because zod/mini carries no message texts (its locales would be most of
 * a browser bundle's zod). Pure module.
 */
import type * as z from 'zod/mini';

/** The JSON path of an issue as text: "deployment.chunks.0.part" ("" for the whole document). */
export function issuePath(issue: z.core.$ZodIssue): string {
  return issue.path.map(String).join('.');
}

/** Up to `limit` issues as one line, each naming its field and what was wrong there. */
export function describeZodIssues(error: z.core.$ZodError, json: unknown, limit = 3): string {
  const shown = error.issues.slice(0, limit).map((issue) => {
    const path = issuePath(issue);
    const where = path === '' ? 'the document' : `field "${path}"`;
    return `${where}: ${describeZodIssue(issue, valueAt(json, issue.path))}`;
  });
  const more = error.issues.length - shown.length;
  return more > 0 ? `${shown.join('; ')} (and ${more} more)` : shown.join('; ');
}

/** One issue in words; `value` is what stood at the issue's path. */
export function describeZodIssue(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected === 'int' ? 'a whole number' : issue.expected}, got ${kindOf(value)}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${shown(value)}`;
    case 'invalid_union':
      return value === undefined ? 'missing' : `${shown(value)} is none of the accepted forms`;
    case 'invalid_format':
      return `${shown(value)} is not in the expected format${issue.format === 'regex' ? '' : ` (${issue.format})`}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'too_small':
      return `${shown(value)} is too small (${issue.inclusive === false ? 'more than' : 'at least'} ${issue.minimum})`;
    case 'too_big':
      return `${shown(value)} is too large (${issue.inclusive === false ? 'less than' : 'at most'} ${issue.maximum})`;
    default:
      return `${shown(value)} is not accepted`;
  }
}

function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value;
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= 60 ? text : `${text.slice(0, 57)}...`;
}

/** What stands at `path` in a parsed JSON value (undefined where the path leads nowhere). */
export function valueAt(json: unknown, path: readonly PropertyKey[]): unknown {
  let value = json;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
