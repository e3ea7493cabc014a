/**
 * KaleidoApiError: every failure the client reports about a call, whether the server answered with
 * an error status, the network failed, the deadline passed, or the answer broke the protocol.
 */

/**
 * - `http`: the server answered with a non-2xx status (`status` holds it).
 * - `network`: no answer (DNS, refused connection, reset, CORS …); `status` is 0.
 * - `timeout`: the client's deadline passed first; `status` is 0.
 * - `aborted`: the caller's AbortSignal fired; `status` is 0.
 * - `protocol`: a 2xx answer that does not follow the protocol; `status` holds the 2xx status.
 */
export type KaleidoApiErrorKind = 'http' | 'network' | 'timeout' | 'aborted' | 'protocol';

export interface KaleidoApiErrorInit {
  kind: KaleidoApiErrorKind;
  status: number;
  method: string;
  url: string;
  code?: string;
  details?: unknown;
  requestId?: string;
  retryAfterSeconds?: number;
  body?: unknown;
  cause?: unknown;
}

export class KaleidoApiError extends Error {
  override readonly name = 'KaleidoApiError';
  readonly kind: KaleidoApiErrorKind;
  /** The HTTP status, or 0 when no answer arrived (network, timeout, aborted). */
  readonly status: number;
  /** The stable error code (ERR_…) of admin-style `{error: {code}}` bodies. */
  readonly code: string | undefined;
  readonly details: unknown;
  readonly requestId: string | undefined;
  /** From the Retry-After header (seconds or HTTP date), for 429/503 answers. */
  readonly retryAfterSeconds: number | undefined;
  /** The parsed JSON body, the body text when it is not JSON, or undefined when there was none. */
  readonly body: unknown;
  readonly method: string;
  readonly url: string;

  constructor(message: string, init: KaleidoApiErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.requestId = init.requestId;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.body = init.body;
    this.method = init.method;
    this.url = init.url;
  }
}

export interface ParsedErrorBody {
  message: string | undefined;
  code: string | undefined;
  details: unknown;
  requestId: string | undefined;
  /** JSON value when the text parses, else the text itself; undefined for an empty body. */
  body: unknown;
}

/**
 * Reads the two error shapes Kaleido speaks: OIP routes answer `{"error": "message"}`, the admin
 * API `{"error": {code, message, details, requestId}}`. Other JSON or plain text is kept as the body.
 */
export function parseErrorBody(text: string): ParsedErrorBody {
  const parsed: ParsedErrorBody = {
    message: undefined,
    code: undefined,
    details: undefined,
    requestId: undefined,
    body: undefined,
  };
  if (text.trim() === '') return parsed;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    parsed.body = text;
    parsed.message = firstLine(text);
    return parsed;
  }
  parsed.body = json;
  if (!isRecord(json)) return parsed;
  const error = json.error;
  if (typeof error === 'string') {
    parsed.message = error;
  } else if (isRecord(error)) {
    if (typeof error.message === 'string') parsed.message = error.message;
    if (typeof error.code === 'string') parsed.code = error.code;
    if (typeof error.requestId === 'string') parsed.requestId = error.requestId;
    parsed.details = error.details;
  } else if (typeof json.message === 'string') {
    parsed.message = json.message;
  }
  return parsed;
}

/**
 * Seconds to wait from a Retry-After header: either delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable; a date in the past gives 0.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  // All three HTTP date forms start with a day name; Date.parse alone would also take "-5" as a year.
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
}

export interface ErrorResponse {
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  bodyText: string;
}

/** The KaleidoApiError for a non-2xx answer. */
export function errorFromResponse(
  response: ErrorResponse,
  method: string,
  url: string,
  nowMs: number,
): KaleidoApiError {
  const parsed = parseErrorBody(response.bodyText);
  const reason = parsed.message ?? (response.statusText || 'no error message');
  const label = parsed.code === undefined ? `${response.status}` : `${response.status} ${parsed.code}`;
  return new KaleidoApiError(`${method} ${pathOf(url)} failed (${label}): ${reason}`, {
    kind: 'http',
    status: response.status,
    method,
    url,
    code: parsed.code,
    details: parsed.details,
    requestId: parsed.requestId ?? response.headers.get('x-request-id') ?? undefined,
    retryAfterSeconds: parseRetryAfter(response.headers.get('retry-after'), nowMs),
    body: parsed.body,
  });
}

/** The path (and query) of a URL, for compact messages. */
export function pathOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return url;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const firstLine = (text: string): string => {
  const line = text.trim().split('\n', 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
};
