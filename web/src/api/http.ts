/**
 * Small typed fetch helpers for the parts of the public API the typed client does not cover
 * (/v1 analysis, /api/2.0/mlflow). Failures reject with the client's KaleidoApiError, so every page
 * reports errors the same way whichever API it called.
 */
import { KaleidoApiError, parseErrorBody, parseRetryAfter } from '@kaleido/client';
import { csrfHeadersFor, reportUnauthenticated } from './session';

export interface RequestOptions {
  readonly signal?: AbortSignal;
  /** Query parameters; arrays repeat the key (MLflow's list parameters). */
  readonly query?: Readonly<Record<string, string | number | readonly string[] | undefined>>;
}

const SESSION_PATH = '/v1/auth/session';

/** The server this console was loaded from: the console talks to no other origin. */
export const apiBase = (): string => window.location.origin;

export function buildUrl(path: string, query: RequestOptions['query']): string {
  const url = new URL(path, apiBase());
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) url.searchParams.append(key, String(v));
    else url.searchParams.set(key, String(value));
  }
  return url.href;
}

/**
 * One request whose answer is JSON. Credentials travel as the session cookie (same origin only);
 * unsafe methods carry the session's CSRF token. `body` is sent as is when it is a Blob/File (its type as the
 * Content-Type), else as JSON.
 */
export async function requestJson<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const url = buildUrl(path, options.query);
  const headers: Record<string, string> = {
    accept: 'application/json',
    // No session (auth disabled, or not signed in yet) adds no header at all.
    ...(await csrfHeadersFor(method)),
  };
  let payload: BodyInit | undefined;
  if (body instanceof Blob) {
    payload = body;
    headers['content-type'] = body.type === '' ? 'application/octet-stream' : body.type;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: payload,
      credentials: 'same-origin',
      signal: options.signal ?? null,
    });
  } catch (cause) {
    const aborted = options.signal?.aborted === true;
    throw new KaleidoApiError(`${method} ${path} ${aborted ? 'was aborted' : 'got no answer'}`, {
      kind: aborted ? 'aborted' : 'network',
      status: 0,
      method,
      url,
      cause,
    });
  }
  const text = await response.text();
  if (!response.ok) {
    // A 401 asks the top bar for sign-in (no session, or it ended) — except the "who am I" query,
    // whose 401 only means "nobody yet" (anonymous use in open-inference mode must not be nagged).
    if (response.status === 401 && path !== SESSION_PATH) reportUnauthenticated();
    const parsed = parseErrorBody(text);
    throw new KaleidoApiError(parsed.message ?? `${method} ${path} failed (${response.status})`, {
      kind: 'http',
      status: response.status,
      method,
      url,
      code: parsed.code,
      details: parsed.details,
      requestId: parsed.requestId ?? response.headers.get('x-request-id') ?? undefined,
      retryAfterSeconds: parseRetryAfter(response.headers.get('retry-after'), Date.now()),
      body: parsed.body,
    });
  }
  try {
    return (text === '' ? {} : JSON.parse(text)) as T;
  } catch (cause) {
    throw new KaleidoApiError(`${method} ${path} answered with a body that is not JSON`, {
      kind: 'protocol',
      status: response.status,
      method,
      url,
      cause,
      body: text.slice(0, 2048),
    });
  }
}
