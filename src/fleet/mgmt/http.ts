/**
 * The HTTP plumbing of the hawkBit Management API client (./client.ts): basic auth, one bounded
 * fetch per call, JSON or multipart bodies, refusals in words (./errors.ts), answers checked
 * against zod/mini schemas (./schema.ts). Pure: the global fetch (or one passed in) only.
 */
import * as z from 'zod/mini';
import { base64Encode } from '../../image/bytes.ts';
import { describeRefusal, MgmtError, type MgmtErrorDetails, MgmtResponseError } from './errors.ts';
import { errorBodySchema } from './schema.ts';

/** A JSON body, a multipart body, or none. */
export type Body = { json: unknown } | { form: FormData } | undefined;

export interface MgmtHttpOptions {
  /** The server's root, e.g. `http://127.0.0.1:8080` (no /rest/v1). */
  baseUrl: string;
  user: string;
  password: string;
  /** Each request's bound (default 30 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class MgmtHttp {
  readonly baseUrl: string;
  private readonly authHeader: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(options: MgmtHttpOptions) {
    if (!/^https?:\/\//.test(options.baseUrl)) {
      throw new TypeError(`hawkBit URL must start with http:// or https://, got '${options.baseUrl}'`);
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.authHeader = `Basic ${base64Encode(new TextEncoder().encode(`${options.user}:${options.password}`))}`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /**
   * One request (`what` names it in errors, e.g. "create target sim-1"): JSON or multipart body,
   * bounded by the time-out; refusals become MgmtError in words, wrong shapes MgmtResponseError.
   */
  async call<S extends z.core.$ZodType | undefined>(
    what: string,
    method: string,
    path: string,
    body: Body,
    schema: S,
  ): Promise<S extends z.core.$ZodType ? z.infer<S> : unknown> {
    const headers: Record<string, string> = { Authorization: this.authHeader, Accept: 'application/json' };
    let payload: string | FormData | undefined;
    if (body && 'json' in body) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body) {
      payload = body.form;
    }
    const details: MgmtErrorDetails = { method, path };
    let response: Response;
    try {
      response = await this.fetchFn(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') {
        throw new MgmtError(
          `hawkBit at ${this.baseUrl} did not answer within ${this.timeoutMs / 1000} s when asked to ${what} (${method} ${path})`,
          details,
          { cause: error },
        );
      }
      const reason = error instanceof Error ? (causeMessage(error) ?? error.message) : String(error);
      throw new MgmtError(
        `cannot reach hawkBit at ${this.baseUrl} to ${what} (${method} ${path}): ${reason}`,
        details,
        { cause: error },
      );
    }
    const text = await response.text();
    let json: unknown;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch (error) {
        if (response.ok) {
          throw new MgmtResponseError(
            `hawkBit at ${this.baseUrl} answered ${method} ${path} with ${response.status} but not JSON: ${text.slice(0, 120)}`,
            details,
            { cause: error },
          );
        }
      }
    }
    if (!response.ok) {
      const parsed = z.safeParse(errorBodySchema, json);
      const refused: MgmtErrorDetails = {
        ...details,
        status: response.status,
        errorCode: parsed.success ? parsed.data.errorCode : undefined,
        serverMessage: parsed.success ? parsed.data.message : text.slice(0, 200) || undefined,
      };
      throw new MgmtError(describeRefusal(what, this.baseUrl, refused), refused);
    }
    if (schema === undefined) return json as S extends z.core.$ZodType ? z.infer<S> : unknown;
    const parsed = z.safeParse(schema, json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(the body)';
      const expected =
        issue && 'expected' in issue ? `expected ${String(issue.expected)}` : (issue?.message ?? 'invalid');
      throw new MgmtResponseError(
        `hawkBit at ${this.baseUrl} answered ${method} ${path} (to ${what}) with an unexpected shape: ${field}: ${expected}`,
        details,
        { cause: parsed.error },
      );
    }
    return parsed.data as S extends z.core.$ZodType ? z.infer<S> : unknown;
  }
}

/** `?a=1&b=2` for the defined entries, or ''. */
export function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** A path segment (controller ids may hold any character hawkBit allows). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/** Node's fetch hides the reason (ECONNREFUSED, …) in `cause`. */
function causeMessage(error: Error): string | undefined {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) return (cause as { code?: string }).code ?? cause.message;
  return undefined;
}
